"""The cohort report's charts on the demo data: real SVG elements in the file that
``empower report --format html`` writes and on the site's report page, never escaped text,
and question sets named by title."""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from empower.web.accounts.models import Organisation


class Charts(HTMLParser):
    """Counts svg elements, overall and inside the "Change over time" section."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.svgs: list[dict[str, str | None]] = []
        self.in_change = 0
        self.ids: set[str] = set()
        self._section: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "section":
            self._section.append(found.get("id"))
        if tag == "svg":
            self.svgs.append(found)
            self.in_change += "change" in self._section

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._section:
            self._section.pop()


@pytest.fixture
def demo(db):
    call_command("demo", stdout=StringIO())
    return Organisation.objects.get(slug="demo")


def _check(html: str, change_charts: int) -> Charts:
    charts = Charts(html)
    assert "&lt;svg" not in html and "&lt;path" not in html
    # Five sample breakdowns, the axis scores and the factor map, then the change charts.
    assert charts.in_change == change_charts
    assert len(charts.svgs) == 5 + 2 + change_charts
    for svg in charts.svgs:
        assert svg["role"] == "img" and svg["aria-label"]
        assert svg["aria-describedby"] in charts.ids
    assert "empowerment-scales@" not in html and "empowerment-interview@" not in html
    assert "Empowerment scales 1.0" in html and "Empowerment interview 2.0" in html
    return charts


def test_command_line_html_draws_the_change_charts_as_svg(demo, tmp_path):
    out = tmp_path / "cohort.html"
    call_command("report", "--format", "html", "--output", str(out), "--audience", "internal",
                 stderr=StringIO())
    # The organisation's own staff: trajectory, shares changed and the improvement curves.
    _check(out.read_text(encoding="utf-8"), change_charts=3)


def test_shared_command_line_html_draws_its_change_charts_as_svg(demo, tmp_path):
    out = tmp_path / "cohort.html"
    call_command("report", "--format", "html", "--output", str(out), stderr=StringIO())
    # Shared reports never carry the improvement curves (each step is one person's date).
    _check(out.read_text(encoding="utf-8"), change_charts=2)


def test_report_page_draws_the_change_charts_as_svg(demo, client, make_member):
    client.force_login(make_member(demo, "analyst", username="report-analyst"))
    response = client.get(reverse("cohort_report"))
    assert response.status_code == 200
    page = response.content.decode()
    _check(page, change_charts=3)
    assert "empower/report.css" in page
