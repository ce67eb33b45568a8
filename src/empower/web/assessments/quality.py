"""Instrument quality: how reliably an instrument version measures in this organisation.

Answers are gathered here; every number comes from ``empower.metrics.reliability`` and
``empower.metrics.structure``. Only assessments of participants whose consent to the
organisation's own reporting is in force are used.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from empower.instruments import Instrument
from empower.instruments.model import text_in
from empower.metrics.reliability import cronbach_alpha, item_statistics, omega_total_one_factor
from empower.metrics.structure import cfa_instrument, keyed_answers
from empower.web.accounts.models import Organisation
from empower.web.reportcache.cache import cached

from .change import LADDER_RELIABILITY
from .models import Assessment


def _answers(organisation: Organisation, instrument: Instrument) -> pd.DataFrame:
    from .cohort import reportable_participants

    assessments = Assessment.objects.filter(
        participant__in=reportable_participants(organisation),
        instrument_id=instrument.id, instrument_version=instrument.version,
    )
    items = [i.id for i in instrument.items if i.subscale]
    return pd.DataFrame([{i: a.answers.get(i) for i in items} for a in assessments],
                        columns=items)


def _alpha_sentence(alpha: float) -> str:
    if alpha >= 0.95:
        return _("Very high: the items may ask nearly the same thing; a shorter subscale could "
                 "do as well.")
    if alpha >= 0.8:
        return _("Good: the items hang together well enough to follow individuals over time.")
    if alpha >= 0.7:
        return _("Acceptable for comparing groups; individual changes need to be large to "
                 "count.")
    return _("Low: the items do not measure one thing well here. Check translations and "
             "reverse-worded items before relying on this subscale.")


def _fit_sentence(fit: Any) -> str:
    good = fit.cfi >= 0.95 and fit.tli >= 0.95 and fit.rmsea <= 0.06 and fit.srmr <= 0.08
    if good:
        return _("The declared structure fits these answers well (Hu & Bentler's cut-offs).")
    return _("The declared structure fits these answers less well than hoped: look at the "
             "loadings for items that do not belong where the instrument puts them.")


def instrument_quality(
    organisation: Organisation, instrument: Instrument, language: str = "en"
) -> dict[str, Any]:
    """Reliability and structure of one instrument version, with a sentence on each."""
    result: dict[str, Any] = {"instrument": instrument, "subscales": [], "cfa": None,
                              "notes": []}
    if instrument.scoring.method == "ladder":
        result["notes"].append(
            _("This instrument asks one self-rating per axis, so there is no internal "
              "consistency to compute. Change over time assumes a test–retest reliability of "
              "%(reliability)s; measure it (the same question twice, two weeks apart, with "
              "people whose situation has not changed) and replace the assumption.")
            % {"reliability": LADDER_RELIABILITY}
        )
        return result
    answers = _answers(organisation, instrument)
    result["n"] = len(answers)
    result["notes"].append(
        _("Every assessment made with this version counts, so people assessed several times "
          "appear several times; the figures are a little more certain than they should be.")
    )
    for subscale in instrument.subscales:
        keyed = keyed_answers(instrument, answers, list(subscale.items))
        entry: dict[str, Any] = {
            "label": text_in(subscale.label, language)[0],
            "axis": subscale.axis,
        }
        try:
            alpha = cronbach_alpha(keyed)
            items = item_statistics(keyed)
            entry.update(
                alpha=alpha, omega=omega_total_one_factor(keyed),
                sentence=_alpha_sentence(alpha.alpha),
                items=[
                    {"item": item_id, "text": text_in(instrument.item(item_id).text,
                                                       language)[0],
                     "reverse": instrument.item(item_id).reverse, **row}
                    for item_id, row in items.to_dict("index").items()
                ],
            )
        except ValueError as error:
            entry["problem"] = str(error)
        result["subscales"].append(entry)
    try:
        result["cfa"] = cfa_instrument(instrument, answers)
        result["cfa_sentence"] = _fit_sentence(result["cfa"])
    except ValueError as error:
        result["cfa_problem"] = str(error)
    return result


def instrument_quality_html(
    organisation: Organisation, instrument: Instrument, language: str = "en"
) -> str:
    """The instrument quality page's body, computed and rendered once per change of the
    organisation's data (the factor analysis takes seconds)."""
    from .cohort import who_counts

    def render() -> str:
        return render_to_string("assessments/_instrument_quality_body.html", {
            "q": instrument_quality(organisation, instrument, language),
            "title": text_in(instrument.title, language)[0],
        })

    return cached(
        organisation, "instrument_quality_html",
        (instrument.id, instrument.version, language, who_counts(organisation)),
        render, encode=str, decode=str,
    )
