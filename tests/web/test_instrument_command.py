"""``empower instrument``: list, export and import XLSForms from the command line."""

from __future__ import annotations

import io
from datetime import date
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pyxform.xls2xform import convert

from empower.instruments import get_instrument, library, load_instrument
from empower.instruments.loader import INSTALL_ENV


def run(*args: str) -> str:
    out = StringIO()
    call_command("instrument", *args, stdout=out)
    return out.getvalue()


def fails(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


def plain_form(path, version: str | None = "2026050101"):
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label::English (en)"],
                ["select_one yn", "q1", "Do you feel safe?"],
                ["text", "q2", "Anything else?"]):
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in (["list_name", "name", "label::English (en)"], ["yn", "yes", "Yes"],
                ["yn", "no", "No"]):
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", *(["version"] if version else [])])
    settings.append(["Check-in", "check-in", *([version] if version else [])])
    book.save(path)
    return path


def test_list():
    out = run("list")
    assert "empowerment-interview" in out and "2.0" in out
    assert "empowerment-scales" in out and "1.0" in out


def test_export_writes_a_clean_xlsform(tmp_path):
    target = tmp_path / "interview.xlsx"
    out = run("export", "empowerment-interview", "--version", "2.0", "--output", str(target),
              "--revision", "3", "--date", "2026-05-20")
    assert f"Wrote {target}" in out
    warnings: list[str] = []
    convert(target.read_bytes(), warnings=warnings, file_type=".xlsx")
    assert warnings == []
    settings = openpyxl.load_workbook(target)["settings"]
    assert settings["C2"].value == "2026052003"


def test_export_default_name_is_id_version_and_form_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("export", "empowerment-scales")
    expected = tmp_path / f"empowerment-scales-1.0-{date.today():%Y%m%d}01.xlsx"
    assert expected.is_file()


def test_export_wrong_arguments(tmp_path):
    assert fails("export", "no-such-thing").returncode == 2
    assert fails("export", "empowerment-interview", "--version", "7.0").returncode == 2
    assert fails("export", "empowerment-interview", "--revision", "100").returncode == 2
    assert fails("export", "empowerment-interview", "--output", str(tmp_path / "x.csv")
                 ).returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_round_trip_through_the_commands(tmp_path):
    form = tmp_path / "scales.xlsx"
    run("export", "empowerment-scales", "--output", str(form))
    yaml_file = tmp_path / "scales.yaml"
    out = run("import", str(form), "--output", str(yaml_file))
    assert "empowerment-scales@1.0: 24 questions, 24 feed a score" in out
    assert load_instrument(yaml_file) == get_instrument("empowerment-scales", "1.0")


def test_import_a_plain_form_prints_notes_and_writes_yaml(tmp_path):
    form = plain_form(tmp_path / "check.xlsx")
    out = run("import", str(form))
    assert "survey row 2 (q1): no axis — this question will be recorded but not scored" in out
    written = tmp_path / "check-in-2026050101.yaml"
    instrument = load_instrument(written)
    assert [i.id for i in instrument.items] == ["q1", "q2"]


def test_dry_run_writes_nothing(tmp_path):
    form = plain_form(tmp_path / "check.xlsx")
    out = run("import", str(form), "--dry-run")
    assert "Dry run: nothing was written." in out
    assert [p.name for p in tmp_path.iterdir()] == ["check.xlsx"]


def test_an_unusable_form_exits_1_and_writes_nothing(tmp_path):
    form = plain_form(tmp_path / "check.xlsx", version=None)
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("instrument", "import", str(form), stdout=out)
    assert caught.value.returncode == 1
    assert "no instrument version: settings.version is missing" in out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["check.xlsx"]
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook")
    assert fails("import", str(bad)).returncode == 1


def test_install_puts_the_instrument_where_the_site_loads_it(tmp_path, monkeypatch):
    folder = tmp_path / "installed"
    form = plain_form(tmp_path / "check.xlsx")
    monkeypatch.delenv(INSTALL_ENV, raising=False)
    assert fails("import", str(form), "--install").returncode == 2
    monkeypatch.setenv(INSTALL_ENV, str(folder))
    run("import", str(form), "--install")
    assert (folder / "check-in-2026050101.yaml").is_file()
    assert "check-in@2026050101" in library()
    assert "empowerment-interview@2.0" in library()
    # Installed instruments never change in place.
    assert fails("import", str(form), "--install").returncode == 1
    monkeypatch.delenv(INSTALL_ENV)
    assert "check-in@2026050101" not in library()


def test_the_bytes_written_are_a_workbook(tmp_path):
    target = tmp_path / "f.xlsx"
    run("export", "empowerment-interview", "--output", str(target))
    book = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    assert book.sheetnames[:3] == ["survey", "choices", "settings"]
