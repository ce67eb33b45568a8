"""De-duplication: normalisation, the decision rules pair by pair, grouping and merging."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from empower.evidence.dedup import (
    author_parts,
    candidate_pairs,
    compare,
    find_duplicates,
    journals_match,
    merge,
    merge_duplicates,
    normalise_author,
    normalise_doi,
    normalise_journal,
    normalise_title,
)
from empower.evidence.importers import read_file
from empower.evidence.records import Record

SCREENING = Path(__file__).resolve().parents[3] / "shared" / "data" / "screening"

BASE = Record(
    title="Survivor-led organising after trafficking: a qualitative study of peer groups",
    authors=["Smith, John", "Müller, Hanna", "Okafor, C."],
    year=2019,
    journal="Journal of Human Trafficking",
    doi="10.1080/23322705.2019.1234567",
    source="Scopus",
    source_id="2-s2.0-1",
)


def variant(**changes) -> Record:
    return replace(BASE, source="Google Scholar", source_id="", **changes)


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "doi",
    [
        "10.1080/23322705.2019.1234567",
        "https://doi.org/10.1080/23322705.2019.1234567",
        "http://dx.doi.org/10.1080/23322705.2019.1234567.",
        "doi:10.1080/23322705.2019.1234567",
        "DOI: 10.1080/23322705.2019.1234567;",
        "https://doi.org/10.1080%2F23322705.2019.1234567",
    ],
)
def test_normalise_doi(doi):
    assert normalise_doi(doi) == "10.1080/23322705.2019.1234567"


def test_normalise_doi_without_a_doi():
    assert normalise_doi("") == normalise_doi("https://example.org/paper") == ""


def test_normalise_title():
    assert normalise_title("The  SURVIVOR-LED Movement: Ærø & Müller’s “Study”.") == (
        "survivorled movement aero and mullers study"
    )
    assert normalise_title("A") == "a"  # a lone article stays
    assert normalise_title("Vitamin D(3): 0.5% vs 1.0%") == "vitamin d3 05 vs 10"
    assert normalise_title("<i>In vitro</i> &amp; in vivo") == "in vitro and in vivo"


@pytest.mark.parametrize(
    "name",
    ["Smith, J.", "Smith, John", "John Smith", "J. Smith", "SMITH J", "Smith JA", "Smith J.A.",
     "J.A. Smith", "Smith, J., Jr."],
)
def test_normalise_author_formats(name):
    assert normalise_author(name) == "smith j"


def test_author_particles_and_diacritics():
    assert author_parts("van der Berg, A.") == author_parts("A. van der Berg") == (
        "vanderberg", "a"
    )
    assert author_parts("Anna van der Berg") == ("vanderberg", "a")
    assert author_parts("Villas Martínez, F") == author_parts("F Villas Martinez")
    assert normalise_author("Müller, Hanna") == "muller h"


def test_journals_match_abbreviations():
    assert normalise_journal("The Journal of Child Psychology & Psychiatry") == (
        "journal child psychology psychiatry"
    )
    assert journals_match(
        "J Child Psychol Psychiatry", "Journal of Child Psychology and Psychiatry"
    )
    assert journals_match(
        "J. Am. Acad. Child Adolesc. Psychiatry",
        "Journal of the American Academy of Child & Adolescent Psychiatry",
    )
    assert not journals_match("Lancet", "BMJ")
    assert not journals_match("", "Lancet")


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("kind", "copy"),
    [
        ("case", variant(title=BASE.title.upper())),
        ("punctuation", variant(title=BASE.title.replace(":", " -").replace("-led", "led") + ".")),
        ("diacritics", variant(authors=["Smith, John", "Muller, Hanna", "Okafor, C."])),
        ("truncated", variant(title="Survivor-led organising after trafficking: a qualitat…")),
        ("missing DOI", variant(doi="")),
        ("DOI written otherwise", variant(doi="https://doi.org/10.1080/23322705.2019.1234567")),
        ("author format", variant(authors=["J. Smith", "H. Müller", "C. Okafor"], doi="")),
        ("upper-case authors", variant(authors=["SMITH J", "MULLER H", "OKAFOR C"], doi="")),
        ("et al.", variant(authors=["Smith J", "et al."], doi="")),
        ("in press, year before", variant(year=2018, doi="")),
        ("typo", variant(title=BASE.title.replace("qualitative", "qualitatvie"), doi="")),
        ("journal abbreviated", variant(journal="J Hum Traffick", doi="")),
        ("two at once", variant(title=BASE.title.upper()[:60], authors=["J Smith"], doi="")),
    ],
)
def test_variations_are_duplicates(kind, copy):
    result = find_duplicates([BASE, copy])
    assert result.groups == [[0, 1]], compare(BASE, copy).reasons
    assert result.uncertain == []


def test_same_doi_is_enough():
    copy = variant(title="Survivor led organising", authors=[], year=None)
    pair = compare(BASE, copy)
    assert pair.decision == "duplicate" and pair.reasons[0] == "same DOI"


def test_truncated_title_needs_authors_and_year():
    short = "Survivor-led organising after trafficking: a qualitative"
    assert compare(BASE, variant(title=short, doi="")).decision == "duplicate"
    assert compare(BASE, variant(title=short, doi="", authors=[])).decision == "uncertain"
    assert compare(BASE, variant(title=short, doi="", authors=["Roe, R"])).decision == "distinct"
    # below 60 % of the length a prefix is no longer a title match
    assert compare(BASE, variant(title="Survivor-led organising", doi="")).decision == "distinct"


def test_missing_authors_same_year_is_a_duplicate_when_the_title_is_specific():
    assert compare(BASE, variant(authors=[], doi="")).decision == "duplicate"
    assert compare(BASE, variant(authors=[], doi="", year=2020)).decision == "uncertain"


# --------------------------------------------------------------------------- look-alikes


def test_editorials_are_not_duplicates():
    a = Record("Editorial", authors=["Smith, J"], year=2019, journal="Lancet")
    b = Record("Editorial.", authors=["Jones, K"], year=2021, journal="Lancet")
    c = Record("EDITORIAL", authors=["Jones, K"], year=2019, journal="BMJ")
    result = find_duplicates([a, b, c])
    assert result.groups == [] and result.uncertain == []


def test_same_editor_yearly_editorials_go_to_review_not_merged():
    a = Record("Editorial", authors=["Smith, J"], year=2019)
    b = Record("Editorial", authors=["Smith, J"], year=2020)
    assert compare(a, b).decision == "uncertain"
    assert compare(a, replace(b, year=2019)).decision == "duplicate"


def test_companion_papers_are_not_duplicates():
    one = replace(BASE, title="Peer support for survivors. Part I: design", doi="")
    two = replace(BASE, title="Peer support for survivors. Part II: design", doi="")
    study1 = replace(BASE, title="Collective action among survivors: study 1", doi="")
    study2 = replace(BASE, title="Collective action among survivors: study 2", doi="")
    assert compare(one, two).decision == "distinct"
    assert compare(study1, study2).decision == "distinct"
    assert "numbers in the titles differ" in " ".join(compare(one, two).reasons)


def test_erratum_is_not_the_paper():
    erratum = replace(BASE, title="Erratum: " + BASE.title, doi="")
    assert compare(replace(BASE, doi=""), erratum).decision == "distinct"


def test_same_title_different_authors_and_year():
    other = variant(authors=["Roe, R", "Poe, P"], year=2012, doi="")
    assert compare(BASE, other).decision == "distinct"


def test_similar_titles_of_different_studies_by_the_same_team_are_queued():
    other = variant(title=BASE.title.replace("peer groups", "survivor networks"), doi="")
    assert compare(BASE, other).decision == "uncertain"


def test_years_far_apart_are_not_merged():
    assert compare(BASE, variant(year=2015, doi="")).decision == "uncertain"
    assert compare(BASE, variant(year=2015, doi="", authors=["Roe, R"])).decision == "distinct"


# --------------------------------------------------------------------------- DOI rules


def test_same_doi_but_titles_clearly_differ_is_uncertain():
    reply = variant(title="Reply to the letter on survivor organising", authors=["Roe, R"])
    pair = compare(BASE, reply)
    assert pair.decision == "uncertain"
    assert pair.reasons[0] == "same DOI but titles differ"


def test_different_dois_are_not_duplicates():
    other = variant(title="Another paper on trafficking", doi="10.1000/other")
    assert compare(BASE, other).decision == "distinct"
    preprint = variant(doi="10.31235/osf.io/abcde")
    pair = compare(BASE, preprint)
    assert pair.decision == "uncertain"
    assert pair.reasons[0] == "different DOIs, otherwise alike"


def test_groups_never_join_two_dois():
    no_doi = variant(doi="")
    other_doi = variant(doi="10.31235/osf.io/abcde", year=2019)
    result = find_duplicates([BASE, no_doi, other_doi])
    assert len(result.groups) == 1 and len(result.groups[0]) == 2
    assert not any({0, 2} <= set(group) for group in result.groups)
    assert any("would join records with different DOIs" in p.reasons for p in result.uncertain)


# --------------------------------------------------------------------------- grouping, merging


def test_transitive_groups():
    a = replace(BASE, doi="")
    b = variant(title=BASE.title[:60], doi="")  # truncated
    c = variant(authors=["J Smith", "H Muller"], doi="", title=BASE.title.upper())
    d = Record("Something else entirely", authors=["Roe, R"], year=2001)
    result = find_duplicates([a, d, b, c])
    assert result.groups == [[0, 2, 3]]
    assert result.duplicates_removed == 2
    assert all(p.decision == "duplicate" for p in result.pairs)


def test_merge_keeps_every_source_and_the_most_complete_fields():
    scopus = replace(BASE, abstract="", keywords=["trafficking"], position=4)
    scholar = variant(abstract="A longer abstract.", keywords=["Trafficking", "peer support"],
                      authors=["J Smith"], journal="J Hum Traffick", doi="", year=2018)
    ris = replace(BASE, source="EndNote", source_id="17", title=BASE.title[:50], doi="")
    merged = merge([scopus, scholar, ris], [0, 1, 2])
    assert merged.raw["sources"] == [
        ("Scopus", "2-s2.0-1"), ("Google Scholar", ""), ("EndNote", "17")
    ]
    assert len(merged.raw["merged"]) == 3
    assert merged.title == BASE.title
    assert merged.abstract == "A longer abstract."
    assert merged.authors == BASE.authors
    assert merged.journal == "Journal of Human Trafficking"
    assert merged.doi == BASE.doi
    assert merged.year == 2019  # two of three say 2019
    assert merged.keywords == ["trafficking", "peer support"]
    assert (merged.source, merged.source_id, merged.position) == ("Scopus", "2-s2.0-1", 4)


def test_merge_duplicates_keeps_order_and_singletons():
    other = Record("Something else entirely", authors=["Roe, R"], year=2001)
    records = [BASE, other, variant(doi="")]
    result = find_duplicates(records)
    merged = merge_duplicates(records, result)
    assert [m.title for m in merged] == [BASE.title, other.title]
    assert len(merged[0].raw["sources"]) == 2
    with pytest.raises(ValueError):
        merge(records, [])


# --------------------------------------------------------------------------- blocking


def test_blocking_finds_a_typo_in_the_first_words():
    a = Record("Methylphenidate isomer approved by regulators", year=2002)
    b = Record("Methylphenidaet isomer aplroved by regulators", year=2002)
    fillers = [Record(f"Methylphenidate trial number {k} in children", year=2002)
               for k in range(30)]
    assert (0, 1) in candidate_pairs([a, b, *fillers])


def test_blocking_compares_far_fewer_pairs_than_all():
    first = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
             "kappa", "lambda", "omicron", "sigma", "tau", "upsilon", "phi", "chi", "psi",
             "omega", "digamma"]
    second = ["lions", "tigers", "bears", "wolves", "owls", "foxes", "hares", "crows",
              "moles", "voles"]
    records = [Record(f"Study {a} of {b}", authors=[f"{a}, A"], year=2000)
               for a in first for b in second]
    n = len(records)
    assert len(candidate_pairs(records)) < n * (n - 1) // 2 / 4


# --------------------------------------------------------------------------- real records


@pytest.mark.skipif(not SCREENING.is_dir(), reason="shared screening data not available")
def test_real_duplicates_in_the_screening_sets():
    """The three labelled sets hold three known duplicate pairs: one record (PubMed id
    11416103) in two sets, and two papers indexed twice under different ids (9003849 and
    9432523; 10782524 and 11003455). "Update in general internal medicine" appears twice
    for two different papers by different authors."""
    records = []
    for name in ("ADHD", "Antihistamines", "UrinaryIncontinence"):
        records += read_file(SCREENING / f"{name}.csv", name).records
    result = find_duplicates(records)
    found = sorted(sorted(records[i].source_id for i in g) for g in result.groups)
    assert found == [["10782524", "11003455"], ["11416103", "11416103"], ["9003849", "9432523"]]
    assert result.compared < len(records) * 10
    queued = {records[k].title for p in result.uncertain for k in (p.i, p.j)}
    assert "Update in general internal medicine." not in queued
