"""Writing an instrument as an XLSForm workbook (see ``docs/xlsform.md``)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from empower.instruments.loader import (
    InstrumentError,
    Problem,
)
from empower.instruments.model import (
    PREFER_NOT_TO_SAY,
    Axis,
    Factor,
    Instrument,
    Item,
    ServiceBlock,
    Texts,
    text_in,
)
from empower.instruments.xlsform.names import (
    AXES_SHEET,
    CONDITION_LIST,
    CONDITIONS,
    CONDUCTED_ON,
    EMPOWER_COLUMNS,
    END,
    FACTORS_SHEET,
    FIXED_FIELDS,
    FIXED_LISTS,
    FIXED_TEXTS,
    INSTRUMENT_FIELD,
    INSTRUMENT_SHEET,
    INT_PATTERN,
    INTERVIEW_LANGUAGE,
    LANGUAGE_LIST,
    LANGUAGE_NAMES,
    PARTICIPANT_CODE,
    PARTICIPANT_CODE_CONSTRAINT,
    PROVIDER_TYPE,
    PROVIDER_TYPE_LIST,
    RESPECTED_WISHES,
    SCALES_SHEET,
    SERVICE_EFFECT_PREFIX,
    SERVICE_TYPE,
    SERVICE_TYPE_LIST,
    SERVICES,
    START,
    SUBSCALES_SHEET,
    TEXT_VALUE_COLUMN,
    XML_NAME,
    YES_NO_LIST,
    form_version,
    language_column,
)

# --------------------------------------------------------------------------- export


def xlsform_workbook(
    instrument: Instrument, on: date | None = None, revision: int = 1
) -> Workbook:
    """The XLSForm workbook for ``instrument``; ``on`` and ``revision`` make its version."""
    return _Writer(instrument).workbook(form_version(on, revision))


def xlsform_bytes(instrument: Instrument, on: date | None = None, revision: int = 1) -> bytes:
    """The XLSForm as the bytes of an ``.xlsx`` file (for a download)."""
    buffer = io.BytesIO()
    xlsform_workbook(instrument, on, revision).save(buffer)
    return buffer.getvalue()


def write_xlsform(
    instrument: Instrument, path: str | Path, on: date | None = None, revision: int = 1
) -> Path:
    """Write the XLSForm of ``instrument`` to ``path`` (an ``.xlsx`` file) and return the path."""
    path = Path(path)
    path.write_bytes(xlsform_bytes(instrument, on, revision))
    return path


def xlsform_filename(instrument: Instrument, on: date | None = None, revision: int = 1) -> str:
    """A file name that says what the form is: ``empowerment-interview-2.0-2026052001.xlsx``."""
    return f"{instrument.id}-{instrument.version}-{form_version(on, revision)}.xlsx"


class _Writer:
    """Lays an instrument out on the sheets of an XLSForm."""

    def __init__(self, instrument: Instrument) -> None:
        clash = [s for s in instrument.scales if s in FIXED_LISTS]
        if clash:
            raise InstrumentError(
                [Problem(f"scales[{s}]", "this scale id is the name of a fixed choice list")
                 for s in clash],
                instrument.key,
            )
        self.instrument = instrument
        self.languages = instrument.languages
        self.hints = {item.id: self.hint(item) for item in instrument.items}

    def texts(self, texts: Texts) -> list[str | None]:
        """One cell per language; a missing translation stays empty."""
        return [texts.get(language) or None for language in self.languages]

    def fixed(self, key: str, **fill: str) -> list[str | None]:
        """A fixed field's text in every language, falling back to English."""
        cells = []
        for language in self.languages:
            text = text_in(FIXED_TEXTS[key], language)[0]
            for name, value in fill.items():
                text = text.replace("{" + name + "}", value)
            cells.append(text)
        return cells

    def hint(self, item: Item) -> Texts:
        """The axis or factor description helps the interviewer explain the question."""
        if item.factor is not None:
            found = [f for f in self.instrument.factors if f.id == item.factor]
        elif item.axis is not None:
            found = [a for a in self.instrument.axes if a.id == item.axis]  # type: ignore[misc]
        else:
            found = []
        return dict(found[0].description) if found else {}

    # ---- the workbook

    def workbook(self, version: str) -> Workbook:
        book = Workbook()
        survey = cast(Worksheet, book.active)
        survey.title = "survey"
        self.survey(survey)
        self.choices(book.create_sheet("choices"))
        self.settings(book.create_sheet("settings"), version)
        self.instrument_sheet(book.create_sheet(INSTRUMENT_SHEET))
        self.labelled(book.create_sheet(AXES_SHEET), self.instrument.axes)
        self.labelled(book.create_sheet(FACTORS_SHEET), self.instrument.factors)
        self.subscales(book.create_sheet(SUBSCALES_SHEET))
        self.scales(book.create_sheet(SCALES_SHEET))
        for sheet in book.worksheets:
            sheet.freeze_panes = "A2"
        return book

    def survey(self, sheet: Worksheet) -> None:
        langs = [language_column(code) for code in self.languages]
        with_hints = any(self.hints.values())
        header = ["type", "name", *(f"label::{lang}" for lang in langs)]
        if with_hints:
            header += [f"hint::{lang}" for lang in langs]
        header += ["required", "constraint", *(f"constraint_message::{lang}" for lang in langs)]
        header += ["calculation", "default", *(f"empower::{c}" for c in EMPOWER_COLUMNS)]
        sheet.append(header)
        for row in self.survey_rows():
            sheet.append([row.get(column) for column in header])

    def survey_rows(self) -> Iterator[dict[str, Any]]:
        """The rows of the survey sheet, as column → value."""
        yield {"type": "start", "name": START}
        yield {"type": "end", "name": END}
        yield {
            "type": "calculate",
            "name": INSTRUMENT_FIELD,
            "calculation": f"'{self.instrument.key}'",
        }
        yield self.row(
            "text",
            PARTICIPANT_CODE,
            self.fixed("participant_code"),
            hint=self.fixed("participant_code_hint"),
            required="yes",
            constraint=PARTICIPANT_CODE_CONSTRAINT,
            constraint_message=self.fixed("participant_code_message"),
        )
        yield self.row("date", CONDUCTED_ON, self.fixed("conducted_on"), required="yes",
                       default="today()")
        yield self.row(f"select_one {LANGUAGE_LIST}", INTERVIEW_LANGUAGE,
                       self.fixed("interview_language"), required="yes")
        yield from self.item_rows()
        if self.instrument.services is not None:
            yield from self.service_rows(self.instrument.services)

    def row(
        self,
        kind: str,
        name: str,
        label: list[str | None] | None = None,
        *,
        hint: list[str | None] | None = None,
        constraint_message: list[str | None] | None = None,
        **columns: Any,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"type": kind, "name": name}
        for column, cells in (("label", label), ("hint", hint),
                              ("constraint_message", constraint_message)):
            for code, cell in zip(self.languages, cells or (), strict=False):
                row[f"{column}::{language_column(code)}"] = cell
        row.update(columns)
        return row

    def item_rows(self) -> Iterator[dict[str, Any]]:
        """Items in order; each run of items of one section sits in a group named after it."""
        taken = {i.id for i in self.instrument.items} | set(FIXED_FIELDS) | {SERVICES}
        current: str | None = None
        for item in self.instrument.items:
            if item.section != current:
                if current:
                    yield {"type": "end_group"}
                if item.section:
                    name = _group_name(item.section, taken)
                    taken.add(name)
                    yield {"type": "begin_group", "name": name, "empower::section": item.section}
                current = item.section
            yield self.item_row(item)
        if current:
            yield {"type": "end_group"}

    def item_row(self, item: Item) -> dict[str, Any]:
        kind = "text" if item.kind == "text" else f"select_one {item.scale}"
        hint = self.hints[item.id]
        return self.row(
            kind,
            item.id,
            self.texts(item.text),
            hint=self.texts(hint) if hint else None,
            required="yes" if item.required else None,
            **{
                "empower::kind": item.kind,
                "empower::axis": item.axis,
                "empower::factor": item.factor,
                "empower::subscale": item.subscale,
                "empower::reverse": "yes" if item.reverse else None,
                "empower::sensitivity": item.sensitivity,
            },
        )

    def service_rows(self, services: ServiceBlock) -> Iterator[dict[str, Any]]:
        yield self.row("begin_repeat", SERVICES, self.fixed("services"))
        yield self.row(f"select_one {SERVICE_TYPE_LIST}", SERVICE_TYPE,
                       self.fixed("service_type"), required="yes")
        yield self.row(f"select_one {PROVIDER_TYPE_LIST}", PROVIDER_TYPE,
                       self.fixed("provider_type"), required="yes")
        yield self.row(f"select_one {YES_NO_LIST}", RESPECTED_WISHES,
                       self.fixed("respected_wishes"))
        yield self.row(f"select_multiple {CONDITION_LIST}", CONDITIONS, self.fixed("conditions"))
        for axis in self.instrument.axes:
            label = [
                text_in(FIXED_TEXTS["service_effect"], code)[0].replace(
                    "{axis}", text_in(axis.label, code)[0]
                )
                for code in self.languages
            ]
            yield self.row(f"select_one {services.effect_scale}",
                           f"{SERVICE_EFFECT_PREFIX}{axis.id}", label)
        yield {"type": "end_repeat"}

    def choices(self, sheet: Worksheet) -> None:
        langs = [language_column(code) for code in self.languages]
        text_values = any(
            isinstance(o.value, str) and INT_PATTERN.match(o.value)
            for scale in self.instrument.scales.values()
            for o in scale.options
        )
        header = ["list_name", "name", *(f"label::{lang}" for lang in langs)]
        sheet.append(header + ([TEXT_VALUE_COLUMN] if text_values else []))
        for scale in self.instrument.scales.values():
            for option in scale.options:
                flag = isinstance(option.value, str) and INT_PATTERN.match(option.value)
                extra = ["yes" if flag else None] if text_values else []
                sheet.append([scale.id, str(option.value), *self.texts(option.label), *extra])
            if scale.prefer_not_to_say:
                sheet.append([scale.id, PREFER_NOT_TO_SAY, *self.fixed(PREFER_NOT_TO_SAY)])
        for code in self.languages:
            name = LANGUAGE_NAMES.get(code, (code, code))[1]
            sheet.append([LANGUAGE_LIST, code, *([name] * len(self.languages))])
        services = self.instrument.services
        if services is None:
            return
        for list_name, options in (
            (SERVICE_TYPE_LIST, services.service_types),
            (PROVIDER_TYPE_LIST, services.provider_types),
            (CONDITION_LIST, services.conditions),
        ):
            for option in options:
                sheet.append([list_name, str(option.value), *self.texts(option.label)])
        for value in ("yes", "no", PREFER_NOT_TO_SAY):
            sheet.append([YES_NO_LIST, value, *self.fixed(value)])

    def settings(self, sheet: Worksheet, version: str) -> None:
        first = self.languages[0]
        sheet.append(["form_title", "form_id", "version", "default_language"])
        sheet.append([
            text_in(self.instrument.title, first)[0],
            self.instrument.id,
            version,
            language_column(first),
        ])

    def instrument_sheet(self, sheet: Worksheet) -> None:
        langs = [language_column(code) for code in self.languages]
        header = ["kind", "scoring_method", "min_answered",
                  *(f"title::{lang}" for lang in langs),
                  *(f"description::{lang}" for lang in langs)]
        sheet.append(header)
        instrument = self.instrument
        sheet.append([
            instrument.kind,
            instrument.scoring.method,
            instrument.scoring.min_answered,
            *self.texts(instrument.title),
            *self.texts(instrument.description),
        ])

    def labelled(self, sheet: Worksheet, things: Iterable[Axis | Factor]) -> None:
        langs = [language_column(code) for code in self.languages]
        sheet.append(["id", *(f"label::{lang}" for lang in langs),
                      *(f"description::{lang}" for lang in langs)])
        for thing in things:
            sheet.append([thing.id, *self.texts(thing.label), *self.texts(thing.description)])

    def subscales(self, sheet: Worksheet) -> None:
        langs = [language_column(code) for code in self.languages]
        sheet.append(["id", "axis", "items", "min_answered", *(f"label::{lang}" for lang in langs)])
        for s in self.instrument.subscales:
            sheet.append([s.id, s.axis, " ".join(s.items), s.min_answered, *self.texts(s.label)])

    def scales(self, sheet: Worksheet) -> None:
        """Every scale, with its numeric range (which need not be that of its options)."""
        sheet.append(["id", "minimum", "maximum"])
        for scale in self.instrument.scales.values():
            numeric = bool(scale.numeric_values())
            sheet.append([scale.id, scale.minimum if numeric else None,
                          scale.maximum if numeric else None])


def _group_name(section: str, taken: set[str]) -> str:
    """A group name from a section: the section itself when it is a usable, unused name."""
    base = section if XML_NAME.match(section) else re.sub(r"[^A-Za-z0-9_]+", "_", section)
    base = base if XML_NAME.match(base) else f"section_{base}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


