"""The cohort report's charts are real inline SVG, each with its numbers in words; instrument
versions are named, never shown by id."""

from __future__ import annotations

import json
from functools import cache
from html.parser import HTMLParser

from tests.reports.test_cohort_report import report

from empower.reports.cohort import instrument_names, readable_name, render_cohort_html

HEALING = "Healing, growth and relationships"


class Page(HTMLParser):
    """The parts of a page the tests look at: svg elements with their attributes, ids, and
    the text of every table cell and paragraph."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.svgs: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "svg":
            self.svgs.append(found)
        elif tag == "table":
            self._table = str(found.get("id"))
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def change() -> dict:
    """Change data shaped as the site's cohort_change returns it."""
    return {
        "axes": [{
            "axis": "healing", "axis_label": HEALING, "n": 10,
            "reliably_improved": 5, "reliably_improved_share": 0.5,
            "reliably_improved_lower": 0.24, "reliably_improved_upper": 0.76,
            "no_reliable_change": 4, "no_reliable_change_share": 0.4,
            "no_reliable_change_lower": 0.17, "no_reliable_change_upper": 0.69,
            "reliably_deteriorated": 1, "reliably_deteriorated_share": 0.1,
            "reliably_deteriorated_lower": 0.02, "reliably_deteriorated_upper": 0.4,
            "mid_improved": 6, "median_days_to_improvement": 60.0,
        }],
        "curves": {"healing": {"timeline": [30.0, 60.0], "survival": [0.5, 0.25]}},
        "trajectory": [
            {"axis": "healing", "days": 0, "n": 10, "mean": 40.0},
            {"axis": "healing", "days": 90, "n": 8, "mean": 55.25},
            {"axis": "healing", "days": 180, "n": 3, "mean": None},  # withheld: too few
        ],
        "notes": [
            "empowerment-scales@1.0: reliability is Cronbach's alpha of each axis's items.",
            "healing: not analysed — the first scores do not vary enough.",
        ],
    }


def with_change() -> dict:
    data = json.loads(json.dumps(report()))
    data["change"] = change()
    return data


@cache
def rendered(standalone: bool = True) -> str:
    """The report with change data as HTML, drawn once for the tests that only read it."""
    return render_cohort_html(with_change(), standalone=standalone)


def test_every_chart_is_an_svg_element_not_escaped_text() -> None:
    html = rendered()
    page = Page(html)
    # five sample breakdowns, axis scores, heat map; trajectory, change shares, improvement
    assert len(page.svgs) == 5 + 2 + 3
    assert "&lt;svg" not in html and "&lt;path" not in html


def test_site_fragment_has_the_same_charts() -> None:
    html = rendered(standalone=False)
    assert len(Page(html).svgs) == 10
    assert "&lt;svg" not in html


def test_shared_report_without_curves_draws_the_other_change_charts() -> None:
    # Reports for anyone outside the organisation carry no improvement curves at all.
    data = with_change()
    del data["change"]["curves"]
    page = Page(render_cohort_html(data))
    assert len(page.svgs) == 5 + 2 + 2
    assert "numbers-improvement" not in page.tables


def test_report_without_change_data_still_renders() -> None:
    data = with_change()
    data["change"] = {"axes": [], "notes": ["No follow-ups."]}
    html = render_cohort_html(data)
    assert len(Page(html).svgs) == 5 + 2
    assert "No participant has a follow-up assessment yet." in html


def test_every_chart_is_labelled_and_described_by_a_table_of_its_numbers() -> None:
    page = Page(rendered())
    for svg in page.svgs:
        assert svg["role"] == "img"
        assert svg["aria-label"]
        assert svg["aria-describedby"] in page.tables, svg["aria-label"]
    described = {svg["aria-label"]: svg["aria-describedby"] for svg in page.svgs}
    assert described["Change since the first assessment, by axis"] == "numbers-change"
    assert described["Status at interview"] == "numbers-status"


def test_trajectory_numbers_table() -> None:
    rows = Page(rendered()).tables["numbers-trajectory"]
    assert rows == [
        ["Days", HEALING],
        ["0", "40.0 (n = 10)"],
        ["90", "55.2 (n = 8)"],  # 55.25 to one decimal (binary 55.25 rounds half to even)
        ["180", "\u2013"],  # a withheld mean is a dash, not a number
    ]


def test_improvement_numbers_table() -> None:
    # S(t) = 0.5 after day 30 and 0.25 after day 60: 1 − S = 50 % and 75 % improved.
    rows = Page(rendered()).tables["numbers-improvement"]
    assert rows == [["Days", HEALING], ["30", "50.0\u00a0%"], ["60", "75.0\u00a0%"]]


def test_notes_name_question_sets_and_axes_not_ids() -> None:
    data = with_change()
    data["meta"]["instruments"] = ["empowerment-scales@1.0"]
    html = render_cohort_html(data)
    assert "Empowerment scales 1.0: reliability is Cronbach" in html
    assert f"{HEALING}: not analysed" in html
    assert "empowerment-scales@1.0" not in html
    assert "healing:" not in html


def test_question_sets_by_title_not_id() -> None:
    data = json.loads(json.dumps(report()))
    for row in data["axis_scores"]:
        row.update(instrument_id="empowerment-scales", instrument_version="1.0")
    data["meta"]["instruments"] = ["empowerment-scales@1.0"]
    html = render_cohort_html(data)
    assert "question sets: Empowerment scales 1.0" in html
    assert "<td>Empowerment scales 1.0</td>" in html  # the axis-score table
    assert "Empowerment scales 1.0 (n = " in html  # the chart's legend
    assert "empowerment-scales" not in html


def test_question_set_title_in_the_reports_language() -> None:
    data = json.loads(json.dumps(report()))
    data["axis_scores"] = [{**data["axis_scores"][0], "instrument_id": "empowerment-scales",
                            "instrument_version": "1.0", "axis": "inner_peace",
                            "axis_label": "অন্তরের শান্তি"}]
    data["meta"]["instruments"] = []
    data["factor_axis_map"] = []
    assert instrument_names(data) == {"empowerment-scales@1.0": "ক্ষমতায়ন স্কেল 1.0"}


def test_unknown_instrument_gets_a_readable_name() -> None:
    # The test report's instrument "four_axis" is not installed: its name is made from its id.
    assert instrument_names(report()) == {"four_axis@1": "Four axis 1",
                                          "four_axis@2": "Four axis 2"}
    assert readable_name("empowerment-interview") == "Empowerment interview"
    html = render_cohort_html(report())
    assert "four_axis" not in html


def test_titles_carried_by_the_report_win() -> None:
    data = json.loads(json.dumps(report()))
    data["meta"]["instrument_titles"] = {"four_axis@2": "Pilot interview 2"}
    assert instrument_names(data)["four_axis@2"] == "Pilot interview 2"


def test_effect_scale_text_keeps_its_signs() -> None:
    html = render_cohort_html(report())
    assert "from \u22122 (strongly disempowering) to +2 (strongly empowering)" in html
    assert ">\u22122 strongly disempowering<" in html  # the heat map's colour bar
    assert ">to +2 strongly empowering<" in html
