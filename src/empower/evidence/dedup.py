"""Find the records that are the same work, with rules a reviewer can check.

Searching several databases returns the same paper several times, written differently: upper
or lower case, other punctuation, "Müller" or "Muller", a title cut short, a DOI in one
export and not in another, "Smith, J." or "J. Smith", the online-first year or the issue's.
:func:`find_duplicates` decides for each plausible pair of records whether they are the same
work, not the same, or uncertain (a reviewer looks at those), and groups the confirmed
duplicates; :func:`merge` turns a group into one record that remembers every source.

The rules (:class:`DedupRules` holds the thresholds)
----------------------------------------------------
Titles, authors, DOIs and journals are first normalised (:func:`normalise_title`,
:func:`normalise_author`, :func:`normalise_doi`, :func:`normalise_journal`). Then, for a pair:

1. **Same DOI** → duplicate, unless the titles clearly differ (graded *different* below, and
   their ``token_set_ratio`` under ``doi_title_min`` – so a short title that is part of
   the long one still matches – or their numbers differ, or one is an erratum, reply or
   comment): then uncertain, because an erratum or a reply can carry the DOI of the paper
   it is about, and exports sometimes carry a wrong DOI.
2. **Two different DOIs** → not duplicates. If title, authors and year are nevertheless the
   same, uncertain: a preprint and its publication, or a wrong DOI.
3. Otherwise the evidence is graded:

   * *title*: **same** when the ``fuzz.ratio`` of the normalised titles is at least
     ``title_same``; **truncated** when the shorter is at least ``truncation_min`` of the
     longer's length and matches its start (the same ratio on that stretch); **close** when
     the ratio or the word-order-blind ``token_sort_ratio`` reaches ``title_close``; else
     **different**. Titles that each have a number the other lacks ("Part I" / "Part II",
     "0.5%" / "1.0%"; a truncated title's cut last word does not count) or of which exactly one
     is an erratum, retraction, reply or comment are **different** whatever the ratio. A
     title of fewer than ``generic_title_words`` words ("Editorial", "Tics.") is
     **generic**.
   * *authors*: the share of the shorter author list whose surname appears in the other
     list (equal, or ``fuzz.ratio`` ≥ 90 with the same first letter; initials, when both
     have one, must agree): **agree** ≥ ``author_overlap``, **partial** above 0,
     **differ** at 0, **unknown** when a list is empty.
   * *year*: **same**, **adjacent** (±1: in press and published), **far**, **unknown**.
   * *journal*: **agree** (equal, or one the abbreviation of the other), **differ**,
     **unknown**.

   and decided, first rule that applies:

   ==========================  ===================================================
   title different             distinct
   title close                 uncertain, unless authors differ or years are far
                               (then distinct)
   same/truncated, year far    uncertain if authors agree and the title is not
                               generic, else distinct
   generic, year not same      uncertain, unless authors differ (distinct)
   authors agree               **duplicate**
   truncated                   uncertain, unless authors differ (distinct)
   authors partial             duplicate if year same and journal not different,
                               else uncertain
   authors unknown             duplicate if year same, journal not different and
                               the title not generic, else uncertain
   authors differ              uncertain if year same, journal agrees and title not
                               generic, else distinct
   ==========================  ===================================================

Only confirmed duplicates are grouped, transitively (union–find), and never so that one group
would hold two different DOIs: such a link goes to the uncertain queue instead. An uncertain
pair whose records end up in the same group anyway is not queued.

Blocking keeps the work near-linear: a pair is compared only if the two records share a DOI,
the first three content words of the title, one of the three rarest words of the title
(rare: in at most 1 % of the records, or 20), or the first author's surname with a year
within one, or when one title follows the other within ``NEIGHBOURS`` places in alphabetical
order (sorted neighbourhood). The rare-word key and the neighbourhood find titles with a typo.

Example
-------
>>> from empower.evidence.records import Record
>>> a = Record("Peer support among survivors of trafficking", authors=["Smith, J."], year=2019)
>>> b = Record("PEER SUPPORT AMONG SURVIVORS OF TRAFFICKING.", authors=["J Smith"], year=2020)
>>> find_duplicates([a, b]).groups
[[0, 1]]
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations, pairwise
from typing import Literal

from rapidfuzz import fuzz

from .records import Record

Decision = Literal["duplicate", "uncertain", "distinct"]

#: Titles compared with each title that follows it in alphabetical order (blocking).
NEIGHBOURS = 5

# --------------------------------------------------------------------------- normalisation

_LETTERS = str.maketrans({
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu",
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ı": "i", "ß": "ss",
})
_JOINERS = re.compile(r"['’‘`´\-‐‑‒–—]")
_ARTICLES = {"the", "a", "an"}
_STOPWORDS = _ARTICLES | {
    "of", "and", "in", "on", "for", "to", "with", "by", "at", "from", "is", "are", "as", "or",
    "its", "vs", "versus", "into", "among", "between",
}
_NOTICES = {
    "erratum", "corrigendum", "correction", "corrections", "retraction", "retracted", "reply",
    "response", "comment", "commentary", "re",
}
_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}
_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
    "ten", "ter", "bin", "al", "el", "st",
}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


def strip_diacritics(text: str) -> str:
    """``"Müller-Łukasz"`` → ``"Muller-Lukasz"``: NFKD, then combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_doi(doi: str) -> str:
    """Lower case, without ``https://doi.org/``, ``doi:`` or trailing punctuation.

    DOIs are case-insensitive by definition (DOI Handbook §2.4). Returns ``""`` when the
    text holds no DOI. ``"https://dx.doi.org/10.1000/XYZ."`` → ``"10.1000/xyz"``.
    """
    text = (doi or "").strip().casefold().replace("%2f", "/")
    match = re.search(r"10\.\d{4,9}/\S+", text)
    return match.group(0).rstrip(".,;:)]}>'\"") if match else ""


def normalise_title(title: str) -> str:
    """Compare-ready title: HTML entities and tags resolved, Greek letters spelt out,
    diacritics stripped, case folded, ``&`` → ``and``, hyphens and apostrophes joined
    (``"non-sedating"`` = ``"nonsedating"``), other punctuation dropped, spaces collapsed,
    a leading article dropped.

    >>> normalise_title("The <i>Non-sedating</i> Antihistamines: Müller's β-Study.")
    'nonsedating antihistamines mullers betastudy'
    """
    text = html.unescape(title or "")
    text = re.sub(r"<[^>]{0,40}>", " ", text)
    text = strip_diacritics(text).casefold().replace("&", " and ")
    text = re.sub(r"(?<=\d)[.,](?=\d)", "", text)  # 0.5 = 05, 1,000 = 1000
    text = re.sub(r"\b(?:\w\.){2,}", lambda m: m.group(0).replace(".", ""), text)  # i.v. = iv
    text = re.sub(r"(?<=\w)\(([^()\s]{1,6})\)", r"\1", text)  # D(3) = D3, Ca(2+)
    text = _JOINERS.sub("", text)
    tokens = re.sub(r"[\W_]+", " ", text).split()
    if len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    return " ".join(tokens)


def _is_initials(token: str) -> bool:
    bare = token.replace(".", "").replace("-", "")
    if not bare.isalpha():
        return False
    return len(bare) == 1 or (len(bare) <= 3 and bare.isupper()) or token.endswith(".")


def author_parts(name: str) -> tuple[str, str]:
    """``(surname key, first initial)`` of a name in any usual format.

    ``"Smith, J."``, ``"Smith, John"``, ``"John Smith"``, ``"J. Smith"``, ``"SMITH J"`` and
    ``"Smith JA"`` all give ``("smith", "j")``; particles stay part of the surname and spaces
    and hyphens go (``"van der Berg, A."`` → ``("vanderberg", "a")``).
    """
    text = strip_diacritics(re.sub(r"\(.*?\)", " ", name or "")).replace(".", ". ")
    if "," in text:
        surname, _, given = text.partition(",")
    else:
        tokens = [t for t in text.split() if t.casefold().strip(".") not in _SUFFIXES]
        if len(tokens) >= 2 and _is_initials(tokens[-1]):
            cut = len(tokens) - 1
            while cut > 1 and _is_initials(tokens[cut - 1]):
                cut -= 1
            surname, given = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        elif len(tokens) >= 2 and _is_initials(tokens[0]):
            cut = 1
            while cut < len(tokens) - 1 and _is_initials(tokens[cut]):
                cut += 1
            surname, given = " ".join(tokens[cut:]), " ".join(tokens[:cut])
        else:
            cut = len(tokens) - 1
            while cut > 1 and tokens[cut - 1].casefold() in _PARTICLES:
                cut -= 1
            surname, given = " ".join(tokens[cut:]), " ".join(tokens[:cut])
    key = re.sub(r"[^a-z]", "", surname.casefold())
    initial = re.sub(r"[^a-z]", "", given.casefold())[:1]
    return key, initial


def normalise_author(name: str) -> str:
    """Surname and first initial: ``"Müller, Hans"`` → ``"muller h"``."""
    surname, initial = author_parts(name)
    return f"{surname} {initial}".strip()


def normalise_journal(journal: str) -> str:
    """Journal name as lower-case words without punctuation or small words.

    ``"The Journal of Child Psychology & Psychiatry"`` → ``"journal child psychology
    psychiatry"``; compare with :func:`journals_match`, which also accepts abbreviations.
    """
    text = strip_diacritics(journal or "").casefold().replace("&", " and ")
    return " ".join(t for t in re.sub(r"[\W_]+", " ", text).split() if t not in _STOPWORDS)


def journals_match(a: str, b: str) -> bool:
    """Whether two journal names are the same journal, abbreviations allowed.

    Equal after :func:`normalise_journal`; or word by word one is the start of the other
    (ISO 4 abbreviations: ``"J Child Psychol Psychiatry"``); or ``fuzz.ratio`` ≥ 90.
    """
    ta, tb = normalise_journal(a).split(), normalise_journal(b).split()
    if not ta or not tb:
        return False
    if ta == tb:
        return True
    if len(ta) == len(tb) and all(
        x.startswith(y) or y.startswith(x) for x, y in zip(ta, tb, strict=True)
    ):
        return True
    return fuzz.ratio(" ".join(ta), " ".join(tb)) >= 90


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DedupRules:
    """Thresholds of the rules (see the module docstring); scores are on 0–100."""

    title_same: float = 95.0
    title_close: float = 85.0
    truncation_min: float = 0.6
    author_overlap: float = 0.5
    doi_title_min: float = 60.0
    generic_title_words: int = 4
    max_year_gap: int = 1


DEFAULT_RULES = DedupRules()


@dataclass(frozen=True)
class CandidatePair:
    """Two records compared: indices, a similarity score (0–100, for sorting a review
    queue), the reasons in words, and the decision."""

    i: int
    j: int
    score: float
    reasons: tuple[str, ...]
    decision: Decision = "distinct"


@dataclass
class DedupResult:
    """Outcome of :func:`find_duplicates`.

    ``groups``: indices of records that are the same work, each sorted, only groups of two or
    more. ``uncertain``: pairs for a reviewer, best score first. ``pairs``: the confirmed
    duplicate pairs behind the groups. ``compared``: pairs compared after blocking.
    """

    groups: list[list[int]]
    uncertain: list[CandidatePair]
    pairs: list[CandidatePair]
    compared: int = 0

    @property
    def duplicates_removed(self) -> int:
        """Records that merging the groups removes (the PRISMA "duplicates removed")."""
        return sum(len(g) - 1 for g in self.groups)


# --------------------------------------------------------------------------- comparing


@dataclass
class _Features:
    doi: str
    title: str
    words: list[str]
    numbers: frozenset[str]
    notice: bool
    authors: list[tuple[str, str]]
    by_letter: dict[str, list[tuple[str, str]]]
    year: int | None
    journal: str


def _features(record: Record) -> _Features:
    title = normalise_title(record.title)
    words = title.split()
    numbers = frozenset(w for w in words if w.isdigit() or w in _ROMAN - {"i", "v", "x"})
    numbers |= {f"part {w}" for a, w in pairwise(words) if a == "part"}
    authors = [p for p in (author_parts(a) for a in record.authors) if p[0]]
    by_letter: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for author in authors:
        by_letter[author[0][0]].append(author)
    return _Features(
        doi=normalise_doi(record.doi),
        title=title,
        words=words,
        numbers=numbers,
        notice=bool(words) and words[0] in _NOTICES,
        authors=authors,
        by_letter=dict(by_letter),
        year=record.year,
        journal=record.journal,
    )


def _cut_numbers(short: _Features, long: _Features) -> frozenset[str]:
    """Numbers of a truncated title, without its last word if that was cut ("… of 1…")."""
    last = len(short.words) - 1
    if last < 0 or last >= len(long.words):
        return short.numbers
    word, whole = short.words[last], long.words[last]
    if whole.startswith(word) and whole != word:
        return short.numbers - {word, f"part {word}"}
    return short.numbers


def _title_grade(a: _Features, b: _Features, rules: DedupRules) -> tuple[str, float, str]:
    if not a.title or not b.title:
        return "unknown", 0.0, "a title is missing"
    short, long = (a, b) if len(a.title) <= len(b.title) else (b, a)
    ratio = fuzz.ratio(a.title, b.title)
    prefix = (
        len(short.title) >= rules.truncation_min * len(long.title)
        and fuzz.ratio(short.title, long.title[: len(short.title)]) >= rules.title_same
    )
    if a.notice != b.notice:
        return "different", ratio, "one title is an erratum, reply or comment"
    numbers_differ = bool(a.numbers - b.numbers) and bool(b.numbers - a.numbers)
    if numbers_differ and not (prefix and _cut_numbers(short, long) <= long.numbers):
        return "different", ratio, "numbers in the titles differ (companion papers?)"
    if ratio >= rules.title_same:
        return "same", ratio, f"title {ratio:.0f}"
    if prefix:
        share = len(short.title) / len(long.title)
        return "truncated", ratio, f"title truncated ({share:.0%} of the other)"
    if ratio >= rules.title_close or fuzz.token_sort_ratio(a.title, b.title) >= rules.title_close:
        return "close", ratio, f"title close ({ratio:.0f})"
    return "different", ratio, f"title {ratio:.0f}"


def _same_author(surname: str, initial: str, others: list[tuple[str, str]]) -> bool:
    for other, other_initial in others:
        if initial and other_initial and initial != other_initial:
            continue
        if surname == other or fuzz.ratio(surname, other) >= 90:
            return True
    return False


def _author_grade(a: _Features, b: _Features, rules: DedupRules) -> tuple[str, float, str]:
    if not a.authors or not b.authors:
        return "unknown", 0.0, "authors missing"
    short, long = (a, b) if len(a.authors) <= len(b.authors) else (b, a)
    # Only surnames with the same first letter are compared: typos rarely hit it.
    matched = sum(
        _same_author(surname, initial, long.by_letter.get(surname[0], []))
        for surname, initial in short.authors
    )
    share = matched / len(short.authors)
    text = f"authors {matched}/{len(short.authors)}"
    if share >= rules.author_overlap:
        return "agree", share, text
    return ("partial" if matched else "differ"), share, text


def _year_grade(a: _Features, b: _Features, rules: DedupRules) -> str:
    if a.year is None or b.year is None:
        return "unknown"
    gap = abs(a.year - b.year)
    return "same" if gap == 0 else "adjacent" if gap <= rules.max_year_gap else "far"


def _journal_grade(a: _Features, b: _Features) -> str:
    if not a.journal or not b.journal:
        return "unknown"
    return "agree" if journals_match(a.journal, b.journal) else "differ"


def _decide(a: _Features, b: _Features, rules: DedupRules) -> tuple[Decision, float, list[str]]:
    title, title_score, title_text = _title_grade(a, b, rules)
    same_doi = bool(a.doi) and a.doi == b.doi
    if title == "different" and not same_doi:  # most compared pairs: stop early
        dois = ["different DOIs"] if a.doi and b.doi else []
        return "distinct", title_score, [*dois, title_text]
    authors, author_share, author_text = _author_grade(a, b, rules)
    year, journal = _year_grade(a, b, rules), _journal_grade(a, b)
    reasons = [title_text, author_text, f"year {year}", f"journal {journal}"]
    score = title_score if authors == "unknown" else 0.7 * title_score + 30 * author_share
    generic = max(len(a.words), len(b.words)) < rules.generic_title_words

    if a.doi and b.doi:
        if a.doi == b.doi:
            clearly_different = title == "different" and (
                a.notice != b.notice or "numbers" in title_text
                or fuzz.token_set_ratio(a.title, b.title) < rules.doi_title_min
            )
            if clearly_different:
                return "uncertain", score, ["same DOI but titles differ", *reasons]
            return "duplicate", max(score, 99.0), ["same DOI", *reasons]
        if title == "same" and authors == "agree" and year in ("same", "unknown"):
            return "uncertain", score, ["different DOIs, otherwise alike", *reasons]
        return "distinct", score, ["different DOIs", *reasons]

    decision: Decision = "distinct"
    if title in ("same", "truncated"):
        decision = _title_alike(title, authors, year, journal, generic)
    elif title == "close" and authors != "differ" and year != "far":
        decision = "uncertain"
    return decision, score, reasons


def _title_alike(title: str, authors: str, year: str, journal: str, generic: bool) -> Decision:
    """The decision table for titles that are the same or one is the other cut short."""
    if year == "far":
        return "uncertain" if authors == "agree" and not generic else "distinct"
    if generic and year != "same":
        return "uncertain" if authors != "differ" else "distinct"
    if authors == "agree":
        return "duplicate"
    if title == "truncated":
        return "uncertain" if authors != "differ" else "distinct"
    if authors == "partial":
        return "duplicate" if year == "same" and journal != "differ" else "uncertain"
    if authors == "unknown":
        sure = year == "same" and journal != "differ" and not generic
        return "duplicate" if sure else "uncertain"
    return "uncertain" if year == "same" and journal == "agree" and not generic else "distinct"


def compare(a: Record, b: Record, rules: DedupRules = DEFAULT_RULES) -> CandidatePair:
    """Compare two records and say why: the rules of :func:`find_duplicates` for one pair."""
    decision, score, reasons = _decide(_features(a), _features(b), rules)
    return CandidatePair(0, 1, round(score, 1), tuple(reasons), decision)


# --------------------------------------------------------------------------- blocking


def _blocking_keys(f: _Features, rare: Callable[[str], int]) -> set[str]:
    keys = set()
    if f.doi:
        keys.add(f"doi:{f.doi}")
    content = [w for w in f.words if w not in _STOPWORDS]
    if content:
        keys.add("t3:" + " ".join(content[:3]))
    words = sorted({w for w in content if len(w) >= 3 and rare(w)}, key=lambda w: (rare(w), w))
    keys.update(f"w:{w}" for w in words[:3])
    if f.authors:
        first = f.authors[0][0]
        if f.year is None:
            keys.add(f"au:{first}:?")
        else:
            keys.update({f"au:{first}:{f.year}", f"au:{first}:{f.year + 1}"})
    return keys


def candidate_pairs(records: Sequence[Record]) -> set[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, that share a blocking key (see the module docstring)."""
    return _candidates([_features(r) for r in records])


def _candidates(features: Sequence[_Features]) -> set[tuple[int, int]]:
    frequency = Counter(w for f in features for w in set(f.words) if w not in _STOPWORDS)
    limit = max(20, len(features) // 100)

    def rare(word: str) -> int:
        """Records holding the word, or 0 when too many do for it to be a blocking key."""
        count = frequency[word]
        return count if count <= limit else 0

    blocks: dict[str, list[int]] = defaultdict(list)
    for index, f in enumerate(features):
        for key in _blocking_keys(f, rare):
            blocks[key].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        pairs.update(combinations(members, 2))
    # Sorted neighbourhood: each title against the next few in alphabetical order, which
    # finds a typo anywhere after the first letters.
    order = sorted((f.title, i) for i, f in enumerate(features) if f.title)
    for position, (_, i) in enumerate(order):
        for _, j in order[position + 1 : position + 1 + NEIGHBOURS]:
            pairs.add((min(i, j), max(i, j)))
    return pairs


# --------------------------------------------------------------------------- grouping


class _Groups:
    """Union–find that refuses to join two groups holding different DOIs."""

    def __init__(self, dois: Sequence[str]):
        self.parent = list(range(len(dois)))
        self.dois = [{d} if d else set() for d in dois]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return True
        if self.dois[ri] and self.dois[rj] and self.dois[ri].isdisjoint(self.dois[rj]):
            return False
        self.parent[rj] = ri
        self.dois[ri] |= self.dois[rj]
        return True

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            members[self.find(i)].append(i)
        return sorted((g for g in members.values() if len(g) > 1), key=lambda g: g[0])


def find_duplicates(
    records: Sequence[Record], rules: DedupRules = DEFAULT_RULES
) -> DedupResult:
    """Group the records that are the same work; queue the uncertain pairs for a reviewer.

    Parameters
    ----------
    records : the records of every source together (indices in the result refer to them).
    rules : thresholds; the defaults are the ones measured in ``benchmarks/dedup_benchmark.py``.

    Returns
    -------
    DedupResult
        Confirmed groups, the uncertain pairs (manual queue) and the confirmed pairs.
    """
    features = [_features(r) for r in records]
    candidates = sorted(_candidates(features))
    confirmed: list[CandidatePair] = []
    uncertain: list[CandidatePair] = []
    for i, j in candidates:
        decision, score, reasons = _decide(features[i], features[j], rules)
        if decision != "distinct":
            pair = CandidatePair(i, j, round(score, 1), tuple(reasons), decision)
            (confirmed if decision == "duplicate" else uncertain).append(pair)

    groups = _Groups([f.doi for f in features])
    kept = []
    for pair in sorted(confirmed, key=lambda p: (-p.score, p.i, p.j)):
        if groups.union(pair.i, pair.j):
            kept.append(pair)
        else:
            why = (*pair.reasons, "would join records with different DOIs")
            uncertain.append(replace(pair, reasons=why, decision="uncertain"))
    result_groups = groups.groups()
    grouped = {i: g[0] for g in result_groups for i in g}
    uncertain = [  # a pair already joined through confirmed links needs no review
        p for p in uncertain
        if p.i not in grouped or grouped.get(p.i) != grouped.get(p.j)
    ]
    uncertain.sort(key=lambda p: (-p.score, p.i, p.j))
    kept.sort(key=lambda p: (p.i, p.j))
    return DedupResult(result_groups, uncertain, kept, compared=len(candidates))


# --------------------------------------------------------------------------- merging


def _completeness(record: Record) -> int:
    return sum(bool(v) for v in (
        record.title, record.abstract, record.authors, record.year, record.journal,
        record.doi, record.keywords, record.source_id, record.record_type,
    ))


def _author_list_size(record: Record) -> tuple[int, int]:
    return len(record.authors), sum(len(a) for a in record.authors)


def merge(records: Sequence[Record], group: Iterable[int]) -> Record:
    """One record for a group of duplicates, keeping the most complete fields.

    Title, abstract and journal: the longest; authors: the longest list; year: the most
    common (ties: the most complete record's); DOI and type: the first given; keywords: all.
    ``source``, ``source_id`` and ``position`` are those of the first record of the group,
    ``raw`` is its ``raw`` plus ``raw["sources"]``, the ``(source, source_id)`` of every
    record, and ``raw["merged"]``, every record's own ``raw``.
    """
    members = [records[i] for i in group]
    if not members:
        raise ValueError("cannot merge an empty group")
    first = members[0]
    best = max(members, key=_completeness)

    def longest(values: Iterable[str]) -> str:
        return max(values, key=len, default="")

    years = Counter(r.year for r in members if r.year is not None)
    top = max(years.values(), default=0)
    year = best.year if best.year is not None and years[best.year] == top else next(
        (y for y, n in years.items() if n == top), None
    )
    keywords: list[str] = []
    for r in members:
        keywords += [k for k in r.keywords if k.casefold() not in {x.casefold() for x in keywords}]
    raw = dict(first.raw)
    raw["sources"] = [(r.source, r.source_id) for r in members]
    raw["merged"] = [r.raw for r in members]
    return Record(
        title=longest(r.title for r in members),
        abstract=longest(r.abstract for r in members),
        authors=list(max(members, key=_author_list_size).authors),
        year=year,
        journal=longest(r.journal for r in members),
        doi=next((r.doi for r in members if r.doi), ""),
        keywords=keywords,
        source=first.source,
        source_id=first.source_id,
        record_type=next((r.record_type for r in members if r.record_type), ""),
        raw=raw,
        position=first.position,
    )


def merge_duplicates(records: Sequence[Record], result: DedupResult) -> list[Record]:
    """The records with each group merged into one, in the order of first appearance."""
    first_of = {g[0]: g for g in result.groups}
    absorbed = {i for g in result.groups for i in g[1:]}
    out = []
    for i, record in enumerate(records):
        if i in first_of:
            out.append(merge(records, first_of[i]))
        elif i not in absorbed:
            out.append(record)
    return out


__all__ = [
    "DEFAULT_RULES",
    "CandidatePair",
    "DedupResult",
    "DedupRules",
    "author_parts",
    "candidate_pairs",
    "compare",
    "find_duplicates",
    "journals_match",
    "merge",
    "merge_duplicates",
    "normalise_author",
    "normalise_doi",
    "normalise_journal",
    "normalise_title",
    "strip_diacritics",
]
