"""De-duplication on real records with synthetic duplicates: sensitivity and specificity.

Reads the 1,488 real PubMed records of the labelled screening sets (Cohen et al. 2006) with
``empower.evidence.importers``, removes the duplicates they already contain, and adds a
corrupted copy of a seeded random subset of them, each with one or two of the variations that
separate duplicates in real exports (case, punctuation, diacritics, truncated title, missing
DOI, author format, year off by one, a typo). Every (original, copy) pair is a duplicate and
every other pair is not. :func:`empower.evidence.dedup.find_duplicates` runs on originals and
copies together; the pairs inside its groups are compared with the truth.

    .venv/bin/python benchmarks/dedup_benchmark.py                 # 600 copies, seed 2024
    .venv/bin/python benchmarks/dedup_benchmark.py --n 600 --seed 7 --show-errors 10
    .venv/bin/python benchmarks/dedup_benchmark.py --scale 20000    # runtime on 20,000 records

The CSV files have no DOI, year or journal. Years are synthetic, estimated from the PubMed id
(ids grow with time), and a share of the originals (``--doi-share``) gets a synthetic DOI,
which copies keep (written another way: ``https://doi.org/…``, upper case) unless their
variation is "missing DOI". Journals stay empty, so journal rules are not exercised here.
This is a synthetic-corruption benchmark on real records, not a comparison with the
duplicates a reviewer marked by hand in a real review.
"""

from __future__ import annotations

import argparse
import bisect
import random
import string
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

from rich.console import Console
from rich.table import Table

from empower.evidence.dedup import author_parts, find_duplicates, normalise_title
from empower.evidence.importers import read_file
from empower.evidence.records import Record

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "screening"
DATASETS = ("ADHD", "Antihistamines", "UrinaryIncontinence")

VARIATIONS = (
    "case",
    "punctuation",
    "diacritics",
    "truncated title",
    "missing DOI",
    "author format",
    "year ±1",
    "typo",
)
#: (PubMed id, year) points; ids between them get an interpolated, synthetic year.
PMID_YEARS = ((1_000_000, 1990), (8_000_000, 1994), (9_000_000, 1997), (10_000_000, 1999),
              (11_000_000, 2000), (12_000_000, 2002), (14_000_000, 2003), (15_000_000, 2004))


@dataclass
class Bench:
    records: list[Record]
    truth: set[tuple[int, int]]
    variations: dict[tuple[int, int], tuple[str, ...]]
    removed: int


# --------------------------------------------------------------------------- the data


def load_originals() -> tuple[list[Record], int]:
    """The real records, without the duplicates they already hold (same PubMed id, or the
    same normalised title and first author)."""
    records: list[Record] = []
    for name in DATASETS:
        records += read_file(DATA / f"{name}.csv", source=name).records
    seen: set[object] = set()
    kept = []
    for record in records:
        first = author_parts(record.authors[0])[0] if record.authors else ""
        keys = {record.source_id, (normalise_title(record.title), first)}
        if keys & seen:
            continue
        seen |= keys
        kept.append(record)
    return kept, len(records) - len(kept)


def synthetic_year(pmid: str) -> int:
    ids = [p for p, _ in PMID_YEARS]
    k = min(max(bisect.bisect(ids, int(pmid)), 1), len(ids) - 1)
    (p0, y0), (p1, y1) = PMID_YEARS[k - 1], PMID_YEARS[k]
    return round(y0 + (y1 - y0) * (int(pmid) - p0) / (p1 - p0))


# --------------------------------------------------------------------------- corruptions

_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "c": "ç", "n": "ñ"}


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def vary_case(r: Record, rng: random.Random) -> Record:
    change = rng.choice((str.upper, str.lower, string.capwords))
    return replace(r, title=change(r.title))


def vary_punctuation(r: Record, rng: random.Random) -> Record:
    title = r.title
    edits = rng.sample(["drop", "colon", "hyphen", "period", "quotes"], k=2)
    if "drop" in edits:
        title = title.translate(str.maketrans("", "", ",;:.()[]\"'"))
    if "colon" in edits:
        title = title.replace(": ", " - ").replace(", ", " ")
    if "hyphen" in edits:
        title = title.replace("-", "")
    if "period" in edits:
        title = title.rstrip(".") if title.endswith(".") else title + "."
    if "quotes" in edits:
        title = title.replace('"', "“", 1).replace('"', "”", 1).replace("'", "’")
    return replace(r, title=title)


def vary_diacritics(r: Record, rng: random.Random) -> Record:
    if _strip(r.title) != r.title or any(_strip(a) != a for a in r.authors):
        return replace(r, title=_strip(r.title), authors=[_strip(a) for a in r.authors])
    spots = [k for k, c in enumerate(r.title) if c in _ACCENTS]
    chars = list(r.title)
    for k in rng.sample(spots, k=min(2, len(spots))):
        chars[k] = _ACCENTS[chars[k]]
    authors = list(r.authors)
    if authors:
        name = authors[0]
        spot = next((k for k, c in enumerate(name) if c in _ACCENTS), None)
        if spot is not None:
            authors[0] = name[:spot] + _ACCENTS[name[spot]] + name[spot + 1:]
    return replace(r, title="".join(chars), authors=authors)


def vary_truncation(r: Record, rng: random.Random) -> Record:
    share = rng.uniform(0.6, 0.9)
    cut = int(len(r.title) * share)
    if rng.random() < 0.7:  # most databases cut at a word boundary
        space = r.title.find(" ", cut)
        cut = space if space > 0 else cut
    title = r.title[:cut].rstrip(" ,:;-") + rng.choice(("", "...", " …"))
    return replace(r, title=title)


def vary_doi(r: Record, rng: random.Random) -> Record:
    return replace(r, doi="")


def vary_authors(r: Record, rng: random.Random) -> Record:
    style = rng.choice(("given first", "upper", "dotted", "compact", "scholar"))
    names = []
    for name in r.authors:
        surname, _, given = name.partition(",")
        initials = [g[0] for g in given.replace(".", " ").split() if g]
        if style == "given first":
            names.append(" ".join(f"{i}." for i in initials) + f" {surname.strip()}")
        elif style == "upper":
            names.append(f"{surname.strip().upper()} {''.join(initials)}")
        elif style == "dotted":
            names.append(f"{surname.strip()} {''.join(f'{i}.' for i in initials)}")
        elif style == "compact":
            names.append(f"{surname.strip()}, {''.join(initials)}")
        else:
            names.append(f"{''.join(initials)} {surname.strip()}")
    if len(names) > 3 and rng.random() < 0.3:
        names = [*names[:3], "et al."]
    return replace(r, authors=[n.strip() for n in names])


def vary_year(r: Record, rng: random.Random) -> Record:
    return replace(r, year=(r.year or 2000) + rng.choice((-1, 1)))


def vary_typo(r: Record, rng: random.Random) -> Record:
    chars = list(r.title)
    letters = [k for k, c in enumerate(chars) if c.isalpha()]
    for k in sorted(rng.sample(letters, k=min(rng.choice((1, 2)), len(letters))), reverse=True):
        kind = rng.choice(("swap", "drop", "replace"))
        if kind == "swap" and k + 1 < len(chars):
            chars[k], chars[k + 1] = chars[k + 1], chars[k]
        elif kind == "drop":
            del chars[k]
        else:
            chars[k] = rng.choice(string.ascii_lowercase)
    return replace(r, title="".join(chars))


CORRUPT = {
    "case": vary_case,
    "punctuation": vary_punctuation,
    "diacritics": vary_diacritics,
    "truncated title": vary_truncation,
    "missing DOI": vary_doi,
    "author format": vary_authors,
    "year ±1": vary_year,
    "typo": vary_typo,
}


def doi_style(doi: str, rng: random.Random) -> str:
    return rng.choice((doi, doi.upper(), f"https://doi.org/{doi}", f"doi:{doi}"))


# --------------------------------------------------------------------------- the set


def build(n: int, seed: int, doi_share: float, copies: int | None = None) -> Bench:
    """Originals plus ``n`` corrupted copies (``copies`` records in all with ``--scale``)."""
    rng = random.Random(seed)
    originals, removed = load_originals()
    originals = [
        replace(
            r,
            year=synthetic_year(r.source_id),
            doi=f"10.5555/pm.{r.source_id}" if rng.random() < doi_share else "",
            raw={"family": k},
        )
        for k, r in enumerate(originals)
    ]
    total = copies if copies is not None else n
    picked = (
        rng.sample(range(len(originals)), k=min(n, len(originals)))
        if copies is None
        else [rng.randrange(len(originals)) for _ in range(total)]
    )
    made = []
    for number, k in enumerate(picked):
        first = VARIATIONS[number % len(VARIATIONS)]
        kinds = [first]
        if rng.random() < 0.3:
            kinds.append(rng.choice([v for v in VARIATIONS if v != first]))
        original = originals[k]
        if "missing DOI" in kinds and not original.doi:
            original = originals[k] = replace(original, doi=f"10.5555/pm.{original.source_id}")
        copy = replace(
            original,
            doi=doi_style(original.doi, rng) if original.doi else "",
            abstract=original.abstract if rng.random() < 0.7 else "",
            keywords=[],
            source="copy",
            source_id="",
            raw={"family": k, "variations": tuple(kinds)},
        )
        for kind in kinds:
            copy = CORRUPT[kind](copy, rng)
        made.append(copy)

    records = originals + made
    order = list(range(len(records)))
    rng.shuffle(order)
    shuffled = [records[k] for k in order]
    families: dict[int, list[int]] = {}
    for index, record in enumerate(shuffled):
        families.setdefault(record.raw["family"], []).append(index)
    truth: set[tuple[int, int]] = set()
    variations: dict[tuple[int, int], tuple[str, ...]] = {}
    for members in families.values():
        for i, j in combinations(sorted(members), 2):
            truth.add((i, j))
            applied = shuffled[i].raw.get("variations") or shuffled[j].raw.get("variations")
            variations[(i, j)] = tuple(applied or ())
    return Bench(shuffled, truth, variations, removed)


# --------------------------------------------------------------------------- scoring


def pair_set(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in combinations(sorted(group), 2)}


def confusion(predicted: set[tuple[int, int]], truth: set[tuple[int, int]], n: int) -> dict:
    tp = len(predicted & truth)
    fp = len(predicted - truth)
    fn = len(truth - predicted)
    tn = n * (n - 1) // 2 - tp - fp - fn
    return {
        "TP": tp, "FP": fp, "FN": fn, "TN": tn,
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
    }


def run(args: argparse.Namespace, console: Console, quiet: bool = False) -> dict:
    bench = build(args.n, args.seed, args.doi_share, copies=args.scale)
    records = bench.records
    started = time.perf_counter()
    result = find_duplicates(records)
    seconds = time.perf_counter() - started

    auto = pair_set(result.groups)
    queued = {(min(p.i, p.j), max(p.i, p.j)) for p in result.uncertain}
    with_queue = auto | queued
    n = len(records)
    rows = {
        "uncertain counted as not duplicate": confusion(auto, bench.truth, n),
        "uncertain counted as duplicate": confusion(with_queue, bench.truth, n),
    }
    summary = {"rows": rows, "seconds": seconds, "queue": len(result.uncertain), "n": n,
               "pairs": len(bench.truth)}
    if quiet:
        return summary
    table = Table(title=f"De-duplication: {n} records, "
                        f"{len(bench.truth)} true duplicate pairs, seed {args.seed}")
    for column in ("", "TP", "FP", "FN", "TN", "sensitivity", "specificity", "precision"):
        table.add_column(column, justify="right" if column else "left")
    for name, c in rows.items():
        table.add_row(name, *(str(c[k]) for k in ("TP", "FP", "FN", "TN")),
                      f"{c['sensitivity']:.4f}", f"{c['specificity']:.6f}",
                      f"{c['precision']:.4f}")
    console.print(table)

    per_kind = Table(title="Sensitivity by variation (a pair counts for each of its variations)")
    for column in ("variation", "pairs", "found", "found or queued"):
        per_kind.add_column(column, justify="left" if column == "variation" else "right")
    counts: Counter[str] = Counter()
    found: Counter[str] = Counter()
    either: Counter[str] = Counter()
    for pair in bench.truth:
        kinds = bench.variations[pair] or ("none",)
        for kind in (*kinds, "two variations" if len(kinds) == 2 else ""):
            if not kind:
                continue
            counts[kind] += 1
            found[kind] += pair in auto
            either[kind] += pair in with_queue
    for kind in (*VARIATIONS, "two variations"):
        if counts[kind]:
            per_kind.add_row(kind, str(counts[kind]), f"{found[kind] / counts[kind]:.3f}",
                             f"{either[kind] / counts[kind]:.3f}")
    console.print(per_kind)
    console.print(
        f"removed {bench.removed} duplicates already in the data; compared "
        f"{result.compared:,} of {n * (n - 1) // 2:,} pairs after blocking; "
        f"uncertain queue {len(result.uncertain)} pairs "
        f"({len(queued & bench.truth)} true duplicates); "
        f"find_duplicates took {seconds:.2f} s"
    )
    if args.show_errors:
        show_errors(console, records, auto, bench.truth, result, args.show_errors)
    return summary


def repeat(args: argparse.Namespace, console: Console) -> None:
    """Run ``--repeat`` seeds and summarise: mean and worst of each figure."""
    runs = [run(argparse.Namespace(**{**vars(args), "seed": args.seed + k}), console, True)
            for k in range(args.repeat)]
    table = Table(title=f"{args.repeat} seeds from {args.seed}: {runs[0]['n']} records, "
                        f"{runs[0]['pairs']} true pairs each; mean (worst)")
    for column in ("", "sensitivity", "specificity", "precision"):
        table.add_column(column, justify="right" if column else "left")
    for name in runs[0]["rows"]:
        cells = []
        for key, digits in (("sensitivity", 4), ("specificity", 6), ("precision", 4)):
            values = [r["rows"][name][key] for r in runs]
            cells.append(f"{sum(values) / len(values):.{digits}f} ({min(values):.{digits}f})")
        table.add_row(name, *cells)
    console.print(table)
    queue = [r["queue"] for r in runs]
    seconds = [r["seconds"] for r in runs]
    console.print(f"uncertain queue {sum(queue) / len(queue):.1f} pairs on average "
                  f"({min(queue)}–{max(queue)}); find_duplicates took "
                  f"{sum(seconds) / len(seconds):.2f} s on average")


def show_errors(console: Console, records: list[Record], auto: set, truth: set,
                result, limit: int) -> None:
    why = {(p.i, p.j): p for p in (*result.pairs, *result.uncertain)}
    for label, pairs in (("missed", sorted(truth - auto)), ("false", sorted(auto - truth))):
        for i, j in pairs[:limit]:
            pair = why.get((i, j))
            console.print(f"[bold]{label}[/bold] {i}/{j} "
                          f"{records[j].raw.get('variations') or records[i].raw.get('variations')}"
                          f" {pair.decision if pair else 'not compared or distinct'}"
                          f" {pair.reasons if pair else ''}")
            for k in (i, j):
                r = records[k]
                console.print(f"   {r.title[:110]!r} | {r.authors[:3]} | {r.year} | {r.doi}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=600, help="originals that get a copy")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--doi-share", type=float, default=0.5,
                        help="share of originals given a synthetic DOI")
    parser.add_argument("--scale", type=int, default=None,
                        help="instead of --n, add this many copies (originals drawn with "
                             "replacement) to time a large search")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run this many seeds (from --seed) and summarise")
    parser.add_argument("--show-errors", type=int, default=0,
                        help="print this many missed and false pairs with the reasons")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"labelled data not found in {DATA}", file=sys.stderr)
        return 1
    if args.repeat > 1:
        repeat(args, Console(width=110))
    else:
        run(args, Console(width=110))
    return 0


if __name__ == "__main__":
    sys.exit(main())
