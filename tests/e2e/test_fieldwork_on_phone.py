"""End to end, in a real browser on a phone: the field round trip of docs/fieldwork.md.

An interviewer downloads the XLSForm for KoboToolbox / ODK Collect, then brings a KoboToolbox
export back: a first download with a mistyped participant code is refused in the dry run (row
and column named, nothing written), the corrected download is imported, the interviews appear
on the participant's page, and a second import of the same file adds nothing.

With ``EMPOWER_SCREENSHOTS=<folder>`` the test also saves the screenshots used in
docs/fieldwork.md (``EMPOWER_SCREENSHOTS=docs/images/fieldwork``); without it, it takes none.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert
from tests.web.fieldwork.conftest import CODES, DATA

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
XF = "{http://www.w3.org/2002/xforms}"
#: The interviewer mistyped the last letter of P-3HW9TD on the phone. The code still has the
#: right shape, so the form's constraint let it through; only Empower can tell it is unknown.
MISTYPED = "P-3HW9TB"


def _no_sideways_scroll(page: Any) -> None:
    """The page itself must fit a 360-px screen; wide tables scroll inside their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 361)
        .slice(0, 8)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
    """)
    assert width <= PHONE["width"], f"{page.url} is {width}px wide: {wide}"


def _shot(page: Any, name: str, *, until: str | None = None, max_height: int = 1500) -> None:
    """Save the page's content (``main``, without the navigation bar) as ``<name>.png`` in the
    folder named by EMPOWER_SCREENSHOTS: down to the bottom of the element ``until`` when given,
    and never taller than ``max_height`` CSS pixels."""
    folder = os.environ.get("EMPOWER_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    box = page.locator("main").bounding_box()
    bottom = box["y"] + box["height"]
    if until is not None:
        end = page.locator(until).first.bounding_box()
        bottom = min(bottom, end["y"] + end["height"] + 12)
    clip = {"x": box["x"], "y": box["y"], "width": box["width"],
            "height": min(bottom - box["y"], max_height)}
    page.screenshot(path=str(Path(folder) / f"{name}.png"), clip=clip, full_page=True)


def _main(page: Any) -> str:
    return " ".join(page.inner_text("main").split())


@pytest.fixture
def field_office(transactional_db: Any, make_org: Any, make_member: Any, make_participant: Any,
                 consent_factory: Any) -> dict[str, Any]:
    """An interviewer, and the three participants of the export files in tests/web/fieldwork,
    registered with consent to the interview well before the interviews (March 2026)."""
    organisation = make_org("field-office", "Field office")
    user = make_member(organisation, "interviewer", username="worker")
    user.set_password(PASSWORD)
    user.save()
    people = {}
    for code, region in zip(CODES, ("Khulna", "Jessore", "Mon"), strict=True):
        participant = make_participant(
            organisation, consent=False, code=code, is_synthetic=True, gender="female",
            year_of_birth=1998, region_of_origin=region, status="returned",
        )
        consent_factory(participant, "interview", "own_reporting", days_ago=400)
        people[code] = participant
    return {"organisation": organisation, "user": user, "people": people}


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A 360 × 740 phone screen; one CSS pixel is one image pixel in the screenshots, which
    keeps the documentation's images small and sharp enough to read."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _login(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "worker")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _desktop_shot(browser: Any, phone: Any, url: str, name: str,
                  until: str | None = None) -> None:
    """The same page at 1280 px, logged in as the same person, where a wide table reads better."""
    if not os.environ.get("EMPOWER_SCREENSHOTS"):
        return
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1,
                                  storage_state=phone.context.storage_state())
    try:
        page = context.new_page()
        page.goto(url)
        _shot(page, name, until=until)
    finally:
        context.close()


def _upload(page: Any, live_server: Any, path: Path) -> None:
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("main form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/imports/\d+/$"))
    page.wait_for_selector("main h1:has-text('Check the import')")


def _with_mistyped_code(tmp_path: Path) -> Path:
    """The Kobo XLSX export as it came from the field, with one mistyped participant code."""
    book = openpyxl.load_workbook(DATA / "kobo_export.xlsx")
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    code = sheet.cell(row=3, column=header.index("participant_code") + 1)
    assert code.value == "P-3HW9TD"
    code.value = MISTYPED
    path = tmp_path / "kobo-2026-03-17.xlsx"
    book.save(path)
    return path


def _corrected(tmp_path: Path) -> Path:
    """The next day's download, after the code was corrected in KoboToolbox."""
    path = tmp_path / "kobo-2026-03-18.xlsx"
    path.write_bytes((DATA / "kobo_export.xlsx").read_bytes())
    return path


def _check_xlsform(path: Path) -> None:
    """The download is an .xlsx workbook that pyxform (KoboToolbox's and ODK Central's
    converter) turns into a form without a single warning, with the fields imports rely on."""
    assert zipfile.is_zipfile(path)
    assert {"survey", "choices", "settings"} <= set(openpyxl.load_workbook(path).sheetnames)
    warnings: list[str] = []
    xform = convert(str(path), warnings=warnings).xform
    assert warnings == []
    model = ET.fromstring(xform).find(f".//{XF}model")
    binds = {b.get("nodeset"): b.attrib for b in model.iter(f"{XF}bind")}
    assert binds["/data/instrument"]["calculate"] == "'empowerment-interview@2.0'"
    assert binds["/data/participant_code"]["constraint"] == "regex(., '^P-[2-9A-HJ-NP-Z]{6}$')"
    assert binds["/data/conducted_on"]["type"] == "date"
    assert binds["/data/ladder/rating__healing"]["required"] == "true()"
    assert "/data/services/service_type" in binds


def test_field_round_trip_on_a_phone(browser, phone_page, live_server, field_office, tmp_path):
    from empower.web.assessments.models import Assessment
    from empower.web.audit.models import AuditEntry
    from empower.web.fieldwork.models import ImportedSubmission, PendingImport

    page = phone_page
    organisation = field_office["organisation"]
    assessments = Assessment.objects.filter(participant__organisation=organisation)
    _login(page, live_server)

    # 1. The question sets, and the form for the phones.
    page.goto(f"{live_server.url}/instruments/")
    assert "Question sets" in _main(page)
    _no_sideways_scroll(page)
    _shot(page, "01-instrument-list", until="main section.block")
    with page.expect_download() as download_info:
        page.click("a[href$='/instruments/empowerment-interview/2.0/xlsform/']")
    download = download_info.value
    today = date.today().strftime("%Y%m%d")
    assert download.suggested_filename == f"empowerment-interview-2.0-{today}01.xlsx"
    xlsform = tmp_path / download.suggested_filename
    download.save_as(xlsform)
    _check_xlsform(xlsform)
    assert AuditEntry.objects.filter(action="download", target_type="instrument",
                                     target_id="empowerment-interview@2.0").count() == 1

    # 2. The first download from KoboToolbox: one code was mistyped on the phone.
    page.goto(f"{live_server.url}/imports/")
    assert "Import interviews collected offline" in _main(page)
    _no_sideways_scroll(page)
    _shot(page, "02-upload-form")
    _upload(page, live_server, _with_mistyped_code(tmp_path))
    text = _main(page)
    assert "KoboToolbox Excel (XLSX) export" in text
    assert "2 would be added" in text and "1 with problems" in text
    assert "Problems to fix first" in text
    problem = page.locator("main table.import-problems tbody tr")
    assert problem.count() == 1
    cells = [" ".join(c.split()) for c in problem.first.locator("td").all_inner_texts()]
    assert cells == ["3", "participant_code", "no participant with this code in your organisation"]
    row_3 = page.locator("main table.import-rows tbody tr", has_text=MISTYPED)
    assert "1 problem" in row_3.inner_text()
    assert page.locator("main button", has_text="Import").count() == 0
    assert assessments.count() == 0 and ImportedSubmission.objects.count() == 0
    _no_sideways_scroll(page)
    _shot(page, "03-dry-run-with-a-problem")
    _desktop_shot(browser, page, page.url, "03-dry-run-with-a-problem-desktop")

    page.click("main button:has-text('Delete the uploaded file')")
    page.wait_for_url(f"{live_server.url}/imports/")
    assert "The uploaded file was deleted. Nothing was imported." in _main(page)
    assert PendingImport.objects.count() == 0 and assessments.count() == 0

    # 3. The corrected download: the dry run, then the import.
    corrected = _corrected(tmp_path)
    _upload(page, live_server, corrected)
    text = _main(page)
    assert "3 would be added" in text and "0 with problems" in text
    assert "Problems to fix first" not in text
    rows = page.locator("main table.import-rows tbody tr").all_inner_texts()
    assert [r.split()[1] for r in rows] == list(CODES)
    assert all("would add" in r for r in rows)
    assert assessments.count() == 0
    _no_sideways_scroll(page)
    _shot(page, "04-dry-run-clean")

    page.click("main button:has-text('Import 3 interviews')")
    page.wait_for_selector("main h1:has-text('Interviews imported')")
    text = _main(page)
    assert "3 added" in text and "0 already imported (skipped)" in text
    assert assessments.count() == 3
    assert ImportedSubmission.objects.filter(organisation=organisation).count() == 3
    assert PendingImport.objects.count() == 0
    first = assessments.get(participant__code="P-7KQ4MX")
    assert (first.conducted_on, first.language) == (date(2026, 3, 14), "bn")
    assert first.interviewer == field_office["user"] and len(first.services) == 2
    assert AuditEntry.objects.filter(action="import").count() == 1
    _no_sideways_scroll(page)
    _shot(page, "05-import-done")

    # 4. The interview is on the participant's page, scored like one typed in Empower:
    # ladder 7 → (7 − 1) / 9 · 100 = 66.7, 5 → 44.4, 8 → 77.8; "prefer not to say" → –.
    page.click("main table.import-rows a:has-text('P-7KQ4MX')")
    page.wait_for_selector("main h1:has-text('P-7KQ4MX')")
    text = _main(page)
    assert "2026-03-14" in text and "Empowerment interview" in text
    row = page.locator("main table tbody tr", has_text="2026-03-14").locator("td")
    cells = [" ".join(text.split()) for text in row.all_inner_texts()]
    assert cells[-4:] == ["66.7", "44.4", "– The participant preferred not to say.", "77.8"]
    _no_sideways_scroll(page)
    _shot(page, "06-participant-after-import", until="main div.scroll")
    _desktop_shot(browser, page, page.url, "06-participant-after-import-desktop",
                  until="main div.scroll")

    # 5. The same file again: everything is already imported, nothing is added.
    _upload(page, live_server, corrected)
    text = _main(page)
    assert "0 would be added" in text and "3 already imported (skipped)" in text
    assert "There is nothing new to import in this file." in text
    assert page.locator("main button", has_text="Import").count() == 0
    assert assessments.count() == 3 and ImportedSubmission.objects.count() == 3
    _no_sideways_scroll(page)
    _shot(page, "07-already-imported")


def test_a_long_export_file_name_fits_a_phone(phone_page, live_server, field_office, tmp_path):
    # KoboToolbox names an export after the project: "<project name>_-_latest_version_-_…".
    path = tmp_path / ("Empowerment_interview_Khulna_office_-_latest_version_-_xml_-_"
                       "2026-03-17-10-15-02.xlsx")
    path.write_bytes((DATA / "kobo_export.xlsx").read_bytes())
    _login(phone_page, live_server)
    _upload(phone_page, live_server, path)
    _no_sideways_scroll(phone_page)
