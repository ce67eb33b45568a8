"""The PRISMA 2020 flow diagram: every count in its box, both columns, three formats."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from matplotlib.image import imread

from empower.evidence.prisma import PrismaCounts, check
from empower.evidence.prisma_diagram import prisma_pdf, prisma_png, prisma_svg

SVG = "{http://www.w3.org/2000/svg}"

#: the hand-counted review of test_prisma.small_log
SMALL = PrismaCounts(
    databases={"A": 6, "B": 4},
    registers={"R": 2},
    other_sources={"Citation searching": 2, "Websites": 1},
    duplicates=2, automation=1, removed_other=1,
    records_screened=8, records_excluded=3,
    dbr_sought=5, dbr_not_retrieved=1, dbr_assessed=4,
    dbr_excluded={"Wrong population": 1, "Wrong design": 1}, dbr_included=2,
    other_sought=2, other_not_retrieved=1, other_assessed=1, other_included=1,
    studies_included=2,
)
#: the seed review's counts (see test_prisma for how a decision log reproduces them)
SEED = PrismaCounts(
    databases={"Google Scholar": 16_204, "ProQuest": 743, "Scopus": 742,
               "University of Sussex Library": 742},
    duplicates=648, removed_other=14_740,
    records_screened=3_043, records_excluded=3_011,
    dbr_sought=32, dbr_not_retrieved=2, dbr_assessed=30,
    dbr_excluded={"Mismatched definitions of collective action": 3,
                  "Peer support but not collective action": 4,
                  "Groups that exclude survivors": 2, "No active groups studied": 4,
                  "Misleading title or abstract": 6, "Poor quality": 9},
    dbr_included=2, studies_included=2,
)


def test_fixtures_add_up():
    assert check(SMALL) == [] and check(SEED) == []


def box_lines(svg: str) -> dict[str, list[str]]:
    """Text lines of each box, by box id, in order (from the ids ``<box>-<line>``)."""
    found: dict[str, list[tuple[int, str]]] = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        match = re.fullmatch(r"(.+)-(\d+)", group.get("id", ""))
        text = group.find(f"{SVG}text")
        if match and text is not None:
            found.setdefault(match[1], []).append((int(match[2]), text.text or ""))
    return {key: [line for _, line in sorted(lines)] for key, lines in found.items()}


def joined(lines: list[str]) -> str:
    """A box's text as one string, so a label wrapped over two lines still matches."""
    return " ".join(lines)


@pytest.fixture(scope="module")
def small_boxes() -> dict[str, list[str]]:
    return box_lines(prisma_svg(SMALL))


EXPECTED_SMALL = {
    "heading_dbr": "Identification of studies via databases and registers",
    "heading_other": "Identification of studies via other methods",
    "phase_identification": "Identification",
    "phase_screening": "Screening",
    "phase_included": "Included",
    "dbr_identified": "Records identified from: Databases (n = 10) A (n = 6) B (n = 4) "
                      "Registers (n = 2) R (n = 2)",
    "removed_before_screening": "Records removed before screening: Duplicate records removed "
                                "(n = 2) Records marked as ineligible by automation tools "
                                "(n = 1) Records removed for other reasons (n = 1)",
    "records_screened": "Records screened (n = 8)",
    "records_excluded": "Records excluded (n = 3)",
    "dbr_sought": "Reports sought for retrieval (n = 5)",
    "dbr_not_retrieved": "Reports not retrieved (n = 1)",
    "dbr_assessed": "Reports assessed for eligibility (n = 4)",
    "dbr_excluded": "Reports excluded: Wrong population (n = 1) Wrong design (n = 1)",
    "included": "Studies included in review (n = 2) Reports of included studies (n = 3)",
    "other_identified": "Records identified from: Citation searching (n = 2) Websites (n = 1)",
    "other_sought": "Reports sought for retrieval (n = 2)",
    "other_not_retrieved": "Reports not retrieved (n = 1)",
    "other_assessed": "Reports assessed for eligibility (n = 1)",
    "other_excluded": "Reports excluded (n = 0)",
}


@pytest.mark.parametrize(("box", "text"), EXPECTED_SMALL.items())
def test_each_box_has_its_template_label_and_count(small_boxes, box, text):
    assert joined(small_boxes[box]) == text


def test_no_other_boxes_are_drawn(small_boxes):
    assert set(small_boxes) == set(EXPECTED_SMALL)


def test_other_methods_column_is_left_out_when_unused():
    boxes = box_lines(prisma_svg(PrismaCounts(databases={"A": 1}, records_screened=1,
                                              records_excluded=1)))
    assert "heading_other" not in boxes
    assert not any(key.startswith("other_") for key in boxes)
    assert joined(boxes["records_excluded"]) == "Records excluded (n = 1)"


def test_seed_review_diagram_shows_its_counts():
    boxes = box_lines(prisma_svg(SEED))
    assert "Databases (n = 18,431)" in joined(boxes["dbr_identified"])
    removed = joined(boxes["removed_before_screening"])
    assert "Duplicate records removed (n = 648)" in removed
    assert "Records removed for other reasons (n = 14,740)" in removed
    assert joined(boxes["records_screened"]) == "Records screened (n = 3,043)"
    assert joined(boxes["records_excluded"]) == "Records excluded (n = 3,011)"
    assert joined(boxes["dbr_sought"]) == "Reports sought for retrieval (n = 32)"
    assert joined(boxes["dbr_not_retrieved"]) == "Reports not retrieved (n = 2)"
    assert joined(boxes["dbr_assessed"]) == "Reports assessed for eligibility (n = 30)"
    assert joined(boxes["included"]) == ("Studies included in review (n = 2) "
                                         "Reports of included studies (n = 2)")
    assert "Poor quality (n = 9)" in joined(boxes["dbr_excluded"])


def test_long_labels_wrap_without_splitting_the_count():
    boxes = box_lines(prisma_svg(PrismaCounts(
        databases={"A very long name of a bibliographic database, with an acronym": 1234},
        records_screened=1234, records_excluded=1234)))
    lines = boxes["dbr_identified"]
    assert len(lines) > 4  # the name was wrapped
    assert any(line.endswith("(n = 1,234)") for line in lines)


def test_names_are_written_literally():
    boxes = box_lines(prisma_svg(PrismaCounts(databases={"US$ 5 & <more>": 1},
                                              records_screened=1, records_excluded=1)))
    assert "US$ 5 & <more> (n = 1)" in boxes["dbr_identified"]


def test_svg_is_deterministic_and_undated():
    first, second = prisma_svg(SMALL), prisma_svg(SMALL)
    assert first == second
    assert "<dc:date>" not in first


def test_png_is_a_decodable_image_sized_by_dpi():
    png = prisma_png(SMALL, dpi=100)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = imread(io.BytesIO(png))
    assert image.ndim == 3 and image.shape[0] > 100
    larger = imread(io.BytesIO(prisma_png(SMALL, dpi=200)))
    assert larger.shape[1] == pytest.approx(2 * image.shape[1], abs=2)


def test_pdf_has_no_creation_date_and_is_deterministic():
    pdf = prisma_pdf(SMALL)
    assert pdf.startswith(b"%PDF")
    assert b"CreationDate" not in pdf
    assert pdf == prisma_pdf(SMALL)
