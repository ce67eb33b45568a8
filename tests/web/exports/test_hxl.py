"""HXL-tagged totals: valid hashtags, right totals for a hand-made cohort, suppression."""

from __future__ import annotations

import csv
import io
import re

import pytest

from empower.web.exports.files import make_export

from .conftest import FOLLOW_UP, ladder

pytestmark = pytest.mark.django_db

#: HXL 1.1 tagging conventions: '#' + name, then '+attribute's; names are letters, digits and
#: underscores starting with a letter; whitespace is allowed between the parts.
HXL_HASHTAG = re.compile(r"^\s*#[A-Za-z][A-Za-z0-9_]*(\s*\+\s*[A-Za-z][A-Za-z0-9_]*)*\s*$")


def _hxl(content: bytes) -> tuple[list[str], list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    headers, tags = rows[0], rows[1]
    return headers, tags, [dict(zip(tags, r, strict=True)) for r in rows[2:]]


@pytest.fixture
def cohort(org_a, person, interview):
    """Six people on the ladder, healing at baseline 2..7; the first three climb 3 steps.

    Baseline SD on the 0-100 metric = sd(2..7) x 100/9 = 1.8708 x 11.111 = 20.787; with the
    assumed ladder reliability 0.80, S_diff = 20.787 x sqrt(0.4) = 13.147, so a 3-step climb
    (33.33 points) has RCI 2.54 > 1.96 (reliable) and no climb has RCI 0.
    Latest healing ladder values 5, 6, 7, 5, 6, 7 → mean (4+5+6+4+5+6)/6 / 9 x 100 = 55.56.
    """
    people = []
    for n, start in enumerate(range(2, 8)):
        p = person(org_a)
        interview(p, ladder(start))
        interview(p, ladder(start + 3 if n < 3 else start), on=FOLLOW_UP)
        people.append(p)
    return people


def test_second_row_is_hxl_hashtags_and_totals_are_right(org_a, cohort):
    export = make_export(org_a, "aggregates", "hxl", "own_reporting", "internal")
    headers, tags, rows = _hxl(export.content)
    assert headers[0] == "Instrument"
    assert all(HXL_HASHTAG.match(tag) for tag in tags), tags
    assert {"#affected+ind", "#meta+version"} <= set(tags)
    healing = next(r for r in rows if r["#indicator+code"] == "healing")
    assert healing["#meta+instrument"] == "empowerment-interview"
    assert healing["#meta+version"] == "2.0"
    assert healing["#affected+ind"] == "6"
    assert float(healing["#indicator+num+mean"]) == pytest.approx(55.56, abs=0.01)
    assert healing["#affected+ind+compared"] == "6"
    assert healing["#affected+ind+improved"] == "3"
    assert float(healing["#indicator+pct+improved"]) == 50.0
    purpose = next(r for r in rows if r["#indicator+code"] == "purpose")
    assert float(purpose["#indicator+num+mean"]) == pytest.approx(400 / 9, abs=0.01)
    # every baseline the same: change cannot be told from error, and the row says so
    assert purpose["#affected+ind+improved"] == ""
    assert "do not vary" in purpose["#description"]
    assert len(rows) == 4


def test_shared_file_suppresses_small_counts(org_a, cohort):
    export = make_export(org_a, "aggregates", "hxl", "sharing", "external")
    _headers, _tags, rows = _hxl(export.content)
    healing = next(r for r in rows if r["#indicator+code"] == "healing")
    assert healing["#affected+ind"] == "6"  # 6 >= 5: shown, like the cohort report
    # The mean is 55.56; files for outside audiences round it to a whole number, so that two
    # releases cannot be differenced into one person's score (docs/disclosure-control.md).
    assert healing["#indicator+num+mean"] == "56"
    # 3 improved and 3 did not: both under 5, so both counts and the share are withheld
    assert healing["#affected+ind+improved"] == ""
    assert healing["#indicator+pct+improved"] == ""
    assert "withheld" in healing["#description"]


def test_public_file_withholds_everything_for_a_small_cohort(org_a, cohort):
    export = make_export(org_a, "aggregates", "hxl", "own_reporting", "public")
    _headers, _tags, rows = _hxl(export.content)
    for row in rows:
        assert row["#affected+ind"] == row["#indicator+num+mean"] == ""
        assert "fewer than 11" in row["#description"]


def test_only_consenting_participants_are_counted(org_a, person, interview, cohort):
    refused = person(org_a, purposes=("interview", "own_reporting"))
    interview(refused, ladder(9))
    shared = _hxl(make_export(org_a, "aggregates", "hxl", "sharing", "external").content)[2]
    own = _hxl(make_export(org_a, "aggregates", "hxl", "own_reporting", "internal").content)[2]
    assert next(r for r in shared if r["#indicator+code"] == "healing")["#affected+ind"] == "6"
    assert next(r for r in own if r["#indicator+code"] == "healing")["#affected+ind"] == "7"


#: From the HXL core schema (hxlstandard.org, "HXL core schemas" on HDX; hashtag and attribute
#: sheets): the released hashtags this file uses, and for each core attribute used, the
#: hashtags the schema lists it for. Empower's own attributes are not in the schema.
CORE_HASHTAGS = {"#meta", "#indicator", "#affected", "#description"}
CORE_ATTRIBUTES = {
    "num": {"#indicator", "#capacity", "#output"},
    "pct": {"#indicator", "#output", "#capacity"},
    "code": {"#indicator", "#sector", "#org", "#activity", "#crisis", "#status"},
    "name": {"#indicator", "#sector", "#org", "#activity", "#crisis", "#status"},
    "ind": {"#affected", "#inneed", "#targeted", "#reached", "#population"},
}
OWN_ATTRIBUTES = {"instrument", "version", "mean", "compared", "improved"}


def test_hashtags_and_attributes_follow_the_core_schema(org_a, cohort):
    _headers, tags, _rows = _hxl(
        make_export(org_a, "aggregates", "hxl", "own_reporting", "internal").content)
    for tag in tags:
        assert HXL_HASHTAG.match(tag), tag
        hashtag, *attributes = tag.replace(" ", "").split("+")
        assert hashtag in CORE_HASHTAGS, tag
        for attribute in attributes:
            if attribute in CORE_ATTRIBUTES:
                assert hashtag in CORE_ATTRIBUTES[attribute], (tag, attribute)
            else:
                assert attribute in OWN_ATTRIBUTES, (tag, attribute)
    # #affected is a number in the core schema and takes no +num
    assert not any(t.startswith("#affected") and "+num" in t for t in tags)
