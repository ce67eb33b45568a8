"""XLSForm both ways: deploy an instrument on KoboToolbox / ODK Collect, and read a form back.

An exported workbook is an ordinary XLSForm (``survey``, ``choices`` and ``settings`` sheets)
that pyxform converts without a warning, plus what Empower needs to score the answers: a few
``empower::`` columns on the survey sheet (kind, axis, factor, subscale, reverse, sensitivity)
and ``empower_*`` sheets for the instrument as a whole (axes, factors, subscales, scales,
kind and scoring). pyxform and the form servers ignore both, so the same file deploys on a
phone and imports back into an equal :class:`~empower.instruments.model.Instrument`.

The field names on the survey sheet are fixed (``docs/xlsform.md``) because submissions are
imported by name: ``instrument``, ``participant_code``, ``conducted_on``, ``interview_language``,
every item under its own id, and the ``services`` repeat.

A plain XLSForm written by hand or in Kobo's form builder imports too. What it lacks for scoring
is returned as *notes* (``survey row 5 (q3): no axis — …``); what makes it unusable raises
:class:`~empower.instruments.loader.InstrumentError` naming sheet, row and column.
"""

from __future__ import annotations

from empower.instruments.xlsform.names import (
    CONDUCTED_ON,
    FIXED_FIELDS,
    FIXED_LISTS,
    FIXED_TEXTS,
    INSTRUMENT_FIELD,
    INTERVIEW_LANGUAGE,
    LANGUAGE_NAMES,
    PARTICIPANT_CODE,
    PARTICIPANT_CODE_CONSTRAINT,
    SERVICE_EFFECT_PREFIX,
    SERVICES,
    form_version,
    language_column,
)
from empower.instruments.xlsform.reader import XLSFormImport, read_xlsform
from empower.instruments.xlsform.writer import (
    write_xlsform,
    xlsform_bytes,
    xlsform_filename,
    xlsform_workbook,
)

__all__ = [
    "CONDUCTED_ON",
    "FIXED_FIELDS",
    "FIXED_LISTS",
    "FIXED_TEXTS",
    "INSTRUMENT_FIELD",
    "INTERVIEW_LANGUAGE",
    "LANGUAGE_NAMES",
    "PARTICIPANT_CODE",
    "PARTICIPANT_CODE_CONSTRAINT",
    "SERVICES",
    "SERVICE_EFFECT_PREFIX",
    "XLSFormImport",
    "form_version",
    "language_column",
    "read_xlsform",
    "write_xlsform",
    "xlsform_bytes",
    "xlsform_filename",
    "xlsform_workbook",
]
