"""``empower review`` on the command line: import, dedup, simulate, prisma."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

RIS = (
    "TY  - JOUR\nTI  - Survivor groups in Bangladesh\nAU  - Rahman, A.\nPY  - 2020\n"
    "DO  - 10.1/abc\nER  - \n"
    "TY  - JOUR\nTI  - Survivor groups in Bangladesh.\nAU  - Rahman A\nPY  - 2020\n"
    "DO  - doi:10.1/ABC\nER  - \n"
    "TY  - JOUR\nTI  - Fish markets of the Andaman Sea\nAU  - Tun, K.\nPY  - 2018\nER  - \n"
)


@pytest.fixture
def ris_file(tmp_path):
    path = tmp_path / "scopus.ris"
    path.write_text(RIS, encoding="utf-8")
    return path


def test_import_counts_records_per_source(ris_file):
    out = StringIO()
    call_command("review", "import", str(ris_file), "--source", "Scopus", stdout=out)
    assert "Scopus: 3 records" in out.getvalue()


def test_dedup_finds_the_doi_duplicate_and_writes_groups(ris_file, tmp_path):
    out = StringIO()
    target = tmp_path / "groups.csv"
    call_command("review", "dedup", str(ris_file), "--output", str(target), stdout=out)
    assert "1 groups of duplicates (1 to remove)" in out.getvalue()
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["kind"] for r in rows] == ["duplicate", "duplicate"]


def test_simulate_on_labelled_records(tmp_path):
    # 40 records: the 4 relevant ones share words nothing else has, so a model finds them
    # long before random order would.
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "abstracts", "keywords", "label2"])
        for n in range(36):
            writer.writerow([f"Weather report {n}", f"rain wind cloud sample {n}", "", "E"])
        for n in range(4):
            writer.writerow([f"Survivor collective {n}", "survivor led group advocacy", "", "I"])
    out = StringIO()
    call_command("review", "simulate", str(path), "--runs", "2", stdout=out)
    text = out.getvalue()
    assert "40 records, 4 relevant, 2 runs" in text
    prioritised = next(line for line in text.splitlines() if "prioritised" in line)
    wss = float(prioritised.split("│")[2])
    # Found all 4 after at most 2 + 3 records (2 random starting records): WSS@95 ≥ 0.95 −
    # 6/40 = 0.80.
    assert wss >= 0.80


def test_unreadable_file_exits_with_code_1(tmp_path):
    path = tmp_path / "broken.bib"
    path.write_text("@article{a, title={One}, year={2020}}\n\n@article{b, title={Two\n\n"
                    "@article{c, title={Three}, year={2022}}\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("review", "import", str(path))
    assert error.value.returncode == 1
    assert "the file holds 3" in str(error.value)


def test_prisma_of_an_unknown_review_is_an_argument_error(db, tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("review", "prisma", "--project", "999", "--output", str(tmp_path / "x"))
    assert error.value.returncode == 2


def test_a_csv_with_unusual_columns_imports_with_a_mapping(tmp_path):
    path = tmp_path / "library.csv"
    path.write_text("Heading;Writers;When\nSurvivor networks;Rahman, A.;2020\n"
                    "Courtyard meetings;Begum, S.;2019\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no title column"):
        call_command("review", "import", str(path), "--source", "Library")
    out = StringIO()
    call_command("review", "import", str(path), "--source", "Library",
                 "--map", "Heading=title", "--map", "Writers=authors", "--map", "When=year",
                 stdout=out)
    assert "Library: 2 records" in out.getvalue()
