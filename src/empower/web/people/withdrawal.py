"""What a withdrawal of consent will stop, said before it happens and after it has happened.

A consent record holds one decision per purpose, and the same purpose may be agreed in more
than one record, so withdrawing it from one record does not always stop it: the plan works out,
from the decisions in force, which uses really stop, which carry on under another record, and
which pending referrals :func:`empower.web.people.services.withdraw` will cancel.

What each purpose lets the organisation do is read from the code that checks it, so that the
confirmation page names the reports and files a person really leaves:

* ``interview`` — :mod:`empower.web.assessments.recording` (interviews typed in here or brought
  in from field forms);
* ``own_reporting`` — the cohort report (:func:`empower.web.assessments.cohort
  .reportable_participants`) and the API (:data:`empower.web.api.queries.PURPOSE`);
* every purpose an export may serve — :data:`empower.web.exports.datasets.ROW_LEVEL_AUDIENCE`
  (files with one row per person) and :data:`~empower.web.exports.datasets.AGGREGATE_AUDIENCES`
  (totals);
* ``referral`` — :func:`empower.web.people.services.cancel_referrals_without_consent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from empower.web.api.queries import PURPOSE as API_PURPOSE
from empower.web.exports.datasets import AGGREGATE_AUDIENCES, ROW_LEVEL_AUDIENCE

from .models import Consent, ConsentDecision, Participant, Purpose, Referral, ReferralStatus
from .services import OPEN_REFERRALS

#: The purpose the cohort report counts people under (``reportable_participants``).
REPORT_PURPOSE = Purpose.OWN_REPORTING

#: Files with one row per person, by the purpose they serve.
RECORD_FILES = {
    Purpose.OWN_REPORTING: gettext_lazy(
        "Export files with one row per person for the organisation's own staff"),
    Purpose.RESEARCH: gettext_lazy("Export files with one row per person for researchers"),
}
#: Files of totals, by the purpose they serve.
TOTALS_FILES = {
    Purpose.OWN_REPORTING: gettext_lazy(
        "Totals in the organisation's own reports, including ones it publishes"),
    Purpose.SHARING: gettext_lazy("Totals shared with a network or a funder"),
    Purpose.RESEARCH: gettext_lazy("Totals used in research"),
}


def uses_of(purpose: str) -> list[str]:
    """The reports, files and actions that need consent to ``purpose``, in plain words."""
    uses: list[str] = []
    if purpose == Purpose.INTERVIEW:
        uses.append(_("New interviews: none can be recorded under this consent, whether typed "
                      "in here or brought in from field forms"))
    if purpose == REPORT_PURPOSE:
        uses.append(_("The cohort report"))
    if purpose in ROW_LEVEL_AUDIENCE:
        uses.append(str(RECORD_FILES[purpose]))  # type: ignore[index]
    if purpose in AGGREGATE_AUDIENCES:
        uses.append(str(TOTALS_FILES[purpose]))  # type: ignore[index]
    if purpose == API_PURPOSE:
        uses.append(_("Other programs that read the organisation's data with an API key"))
    if purpose == Purpose.REFERRAL:
        uses.append(_("Passing the participant's code and needs to the named provider"))
    if purpose == Purpose.STORY:
        uses.append(_("Using their story or image"))
    return uses


def purpose_label(purpose: str) -> str:
    return str(dict(Purpose.choices).get(purpose, purpose))


def decision_label(decision: ConsentDecision) -> str:
    """The purpose in plain words, with the provider for a referral."""
    label = purpose_label(decision.purpose)
    return f"{label} – {decision.provider}" if decision.provider else label


def covering(decision: ConsentDecision, in_force: dict[str, list[ConsentDecision]]) -> (
    ConsentDecision | None
):
    """The decision among ``in_force`` that keeps ``decision``'s use going, if any.

    A yes to a referral names one provider; another provider's yes does not keep it."""
    others = in_force.get(decision.purpose, [])
    if decision.purpose == Purpose.REFERRAL:
        others = [d for d in others if d.provider == decision.provider]
    return next((d for d in others if d.pk != decision.pk), None)


@dataclass
class Item:
    """One decision about to be withdrawn and what withdrawing it does."""

    decision: ConsentDecision
    #: the use stops: no other consent record keeps it in force
    stops: bool
    #: the other consent record that keeps it in force, when one does
    kept_by: Consent | None
    #: the decision had already ended (its end date passed), so nothing more stops
    ended: bool
    uses: list[str]

    @property
    def label(self) -> str:
        return decision_label(self.decision)


@dataclass
class Plan:
    """A withdrawal worked out before it is made."""

    participant: Participant
    consent: Consent
    items: list[Item]
    #: referrals not yet made that will be cancelled
    referrals: list[Referral] = field(default_factory=list)
    #: uses in force now that are not being withdrawn and carry on
    continuing: list[str] = field(default_factory=list)
    #: some consent of the participant stays in force afterwards
    anything_left: bool = True

    @property
    def decisions(self) -> list[ConsentDecision]:
        return [item.decision for item in self.items]

    @property
    def stops_files(self) -> bool:
        """A use that export files serve stops (files made before are not changed)."""
        served = set(ROW_LEVEL_AUDIENCE) | set(AGGREGATE_AUDIENCES)
        return any(item.stops and item.decision.purpose in served for item in self.items)

    @property
    def everything(self) -> bool:
        """Every use still agreed in this consent record is being withdrawn."""
        return len(self.items) == len(withdrawable(self.consent))


def withdrawable(consent: Consent) -> list[ConsentDecision]:
    """The decisions of ``consent`` that can still be withdrawn (agreed, not withdrawn)."""
    return [d for d in consent.decisions.all() if d.agreed and d.withdrawn_at is None]


def in_force_after(participant: Participant, leaving: list[ConsentDecision]) -> dict[
    str, list[ConsentDecision]
]:
    """The participant's decisions in force now, by purpose, once ``leaving`` are withdrawn."""
    leaving_ids = [d.pk for d in leaving]
    found: dict[str, list[ConsentDecision]] = {}
    for purpose in Purpose:
        decisions = list(
            ConsentDecision.objects.in_force(purpose.value)
            .filter(consent__participant=participant)
            .exclude(pk__in=leaving_ids)
            .select_related("consent")
            .order_by("-consent__given_at", "-pk")
        )
        if decisions:
            found[purpose.value] = decisions
    return found


def plan_withdrawal(participant: Participant, consent: Consent, purposes: list[str]) -> Plan:
    """What withdrawing ``purposes`` (all that can be, when empty) from ``consent`` will do.

    Raises :class:`ValueError` when a purpose named is not agreed in ``consent`` or has been
    withdrawn already, or when there is nothing left to withdraw."""
    open_decisions = withdrawable(consent)
    if purposes:
        by_purpose = {d.purpose: d for d in open_decisions}
        if any(p not in by_purpose for p in purposes):
            raise ValueError("not withdrawable")
        chosen = [by_purpose[p] for p in dict.fromkeys(purposes)]
    else:
        chosen = open_decisions
    if not chosen:
        raise ValueError("nothing to withdraw")
    after = in_force_after(participant, chosen)
    items = []
    for decision in chosen:
        ended = not decision.in_force()
        other = covering(decision, after)
        kept_by = other.consent if other is not None else None
        items.append(Item(
            decision=decision, stops=not ended and kept_by is None, kept_by=kept_by,
            ended=ended, uses=uses_of(decision.purpose),
        ))
    # services.withdraw cancels every referral not yet made once no referral consent is left.
    referrals = (
        [] if Purpose.REFERRAL in after
        else list(participant.referrals.filter(status__in=OPEN_REFERRALS).order_by("created_at"))
    )
    continuing = _continuing(after, items)
    return Plan(participant=participant, consent=consent, items=items, referrals=referrals,
                continuing=continuing, anything_left=bool(after))


def _continuing(in_force: dict[str, list[ConsentDecision]], items: list[Item]) -> list[str]:
    """Uses in force other than those withdrawn (each named once)."""
    withdrawn = {item.label for item in items}
    labels = [decision_label(d) for decisions in in_force.values() for d in decisions]
    return [label for label in dict.fromkeys(labels) if label not in withdrawn]


def outcome_message(plan: Plan) -> str:
    """What the withdrawal stopped and what carries on, read from the records as they are now.

    Says that nothing is covered any more only when that is true."""
    participant = plan.participant
    now_in_force = in_force_after(participant, [])
    kept = [i.label for i in plan.items if covering(i.decision, now_in_force) is not None]
    stopped = [i.label for i in plan.items if i.label not in kept]
    cancelled = Referral.objects.filter(
        pk__in=[r.pk for r in plan.referrals], status=ReferralStatus.CANCELLED
    ).count()
    continuing = _continuing(now_in_force, plan.items)
    parts = []
    if stopped:
        parts.append(ngettext("This use has stopped: %(uses)s.",
                              "These uses have stopped: %(uses)s.", len(stopped))
                     % {"uses": ", ".join(stopped)})
    if kept:
        parts.append(ngettext(
            "Withdrawn from this consent, but another consent the participant gave still "
            "covers it, so it continues: %(uses)s.",
            "Withdrawn from this consent, but another consent the participant gave still "
            "covers them, so they continue: %(uses)s.", len(kept),
        ) % {"uses": ", ".join(kept)})
    if continuing:
        parts.append(ngettext("The other use the participant agreed to continues: %(uses)s.",
                              "The other uses the participant agreed to continue: %(uses)s.",
                              len(continuing)) % {"uses": ", ".join(continuing)})
    elif not now_in_force:
        parts.append(_("No consent of this participant is in force any more: their data is "
                       "no longer used for anything."))
    if cancelled:
        parts.append(ngettext("%(count)d referral not yet made was cancelled.",
                              "%(count)d referrals not yet made were cancelled.", cancelled)
                     % {"count": cancelled})
    parts.append(_("If the participant changes their mind, record consent again: a new yes "
                   "counts from the day it is given."))
    return " ".join(parts)
