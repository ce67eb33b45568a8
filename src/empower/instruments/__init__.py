"""Instruments: interviews and questionnaires described as versioned data, and their scoring.

This package is pure Python and never imports Django, so analysts can load an instrument and
score answers in a notebook exactly as the web site does.

    >>> from empower.instruments import get_instrument, score
    >>> interview = get_instrument("empowerment-interview")
    >>> result = score(interview, {"rating__healing": 7})
    >>> round(result.axis_scores["healing"].score, 2)
    66.67
"""

from empower.instruments.loader import (
    InstrumentError,
    Problem,
    dump_instrument,
    get_instrument,
    library,
    load_instrument,
    load_instrument_text,
    version_key,
)
from empower.instruments.model import (
    DEFAULT_LANGUAGE,
    FOUR_AXES,
    NOT_APPLICABLE,
    PREFER_NOT_TO_SAY,
    Axis,
    Factor,
    Instrument,
    Item,
    Option,
    ResponseScale,
    Scoring,
    ServiceBlock,
    Subscale,
    Texts,
    text_in,
)
from empower.instruments.scoring import (
    AnswerError,
    AxisScore,
    FactorEffect,
    ScoreResult,
    ServiceRecord,
    SubscaleScore,
    score,
    validate_answers,
)
from empower.instruments.xlsform import (
    XLSFormImport,
    form_version,
    read_xlsform,
    write_xlsform,
    xlsform_bytes,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "FOUR_AXES",
    "NOT_APPLICABLE",
    "PREFER_NOT_TO_SAY",
    "AnswerError",
    "Axis",
    "AxisScore",
    "Factor",
    "FactorEffect",
    "Instrument",
    "InstrumentError",
    "Item",
    "Option",
    "Problem",
    "ResponseScale",
    "ScoreResult",
    "Scoring",
    "ServiceBlock",
    "ServiceRecord",
    "Subscale",
    "SubscaleScore",
    "Texts",
    "XLSFormImport",
    "dump_instrument",
    "form_version",
    "get_instrument",
    "library",
    "load_instrument",
    "load_instrument_text",
    "read_xlsform",
    "score",
    "text_in",
    "validate_answers",
    "version_key",
    "write_xlsform",
    "xlsform_bytes",
]
