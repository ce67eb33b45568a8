"""Screening decisions: scales, conflicts between reviewers and the rules that resolve them.

A review screens each record against a **decision scale**. Two come built in:

* :data:`RANK_0_4` — the review's rank: 1 = trafficking survivors, survivor-led and working to
  an outcome; 2 = survivors, but survivor-led or collective action unclear; 3 = not survivors
  but collective action of a related group; 4 = background, not empirical; 0 = not relevant.
* :data:`INCLUDE_MAYBE_EXCLUDE` — the usual three-way title/abstract decision.

Each scale states an explicit **inclusiveness order**, from the decision that keeps a record in
most firmly to the one that drops it. The review put records that reviewers still disagreed on
after discussion "in the higher category"; its aim was to keep a record rather than lose it, so
here "higher" means *more inclusive*, and the rule :func:`resolve` calls ``most_inclusive``
picks the vote that comes first in that order. For the rank that order is 1, 2, 3, 4, 0 (most
relevant first, "not relevant" last) — not the numeric order of the codes.

Screening is blind: each reviewer decides alone, and the functions here take every vote at once
only after they are all in. Keeping votes hidden from the other reviewers until then is the web
layer's job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import InitVar, dataclass
from typing import Any, Literal

Value = str | int
Rule = Literal["discussion", "third_reviewer", "most_inclusive"]
RULES: tuple[str, ...] = ("discussion", "third_reviewer", "most_inclusive")


class ScaleError(ValueError):
    """A scale definition that cannot be used; ``field`` names the offending entry."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ScaleOption:
    """One answer on a scale.

    ``include`` says where the answer sends the record: ``True`` on to the next stage,
    ``False`` out of the review, ``None`` undecided (a "maybe" that needs another look).
    """

    value: Value
    label: str
    include: bool | None


@dataclass(frozen=True)
class DecisionScale:
    """The answers a reviewer can give at one screening stage.

    ``inclusiveness`` lists every value once, from the most inclusive decision to the least.
    For an ordinal scale it is also the order used by weighted kappa.
    """

    id: str
    label: str
    options: tuple[ScaleOption, ...]
    ordinal: bool
    inclusiveness: tuple[Value, ...]

    def __post_init__(self) -> None:
        if not self.id or not str(self.id).strip():
            raise ScaleError("id", "must not be empty")
        if len(self.options) < 2:
            raise ScaleError("options", "a scale needs at least two options")
        values = [o.value for o in self.options]
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ScaleError("options", f"repeated value(s): {', '.join(repeated)}")
        missing = [v for v in values if v not in self.inclusiveness]
        unknown = [v for v in self.inclusiveness if v not in values]
        if missing or unknown or len(self.inclusiveness) != len(values):
            raise ScaleError(
                "inclusiveness",
                "must list every option value exactly once "
                f"(missing: {missing or 'none'}, not options: {unknown or 'none'})",
            )

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(o.value for o in self.options)

    def option(self, value: Value) -> ScaleOption:
        """The option with this value; ``ValueError`` if the scale has none."""
        for option in self.options:
            # True == 1 in Python; a yes/no answer is never a rank.
            if not isinstance(value, bool) and option.value == value:
                return option
        allowed = ", ".join(repr(v) for v in self.values)
        raise ValueError(f"{value!r} is not on the scale {self.id!r} (allowed: {allowed})")

    def validate(self, value: Value) -> Value:
        return self.option(value).value

    def inclusiveness_rank(self, value: Value) -> int:
        """0 for the most inclusive value, 1 for the next, …"""
        return self.inclusiveness.index(self.validate(value))

    def most_inclusive(self, values: Iterable[Value]) -> Value:
        return min(values, key=self.inclusiveness_rank)

    def to_dict(self) -> dict[str, Any]:
        """The plain form :func:`scale_from_dict` reads back."""
        return {
            "id": self.id,
            "label": self.label,
            "ordinal": self.ordinal,
            "options": [
                {"value": o.value, "label": o.label, "include": o.include} for o in self.options
            ],
            "inclusiveness": list(self.inclusiveness),
        }


RANK_0_4 = DecisionScale(
    id="rank_0_4",
    label="Relevance rank 0–4",
    options=(
        ScaleOption(1, "Trafficking survivors, survivor-led, working to an outcome", True),
        ScaleOption(2, "Survivors; survivor-led or collective action unclear", True),
        ScaleOption(3, "Not survivors, but collective action of a related group", False),
        ScaleOption(4, "Background, not empirical", False),
        ScaleOption(0, "Not relevant", False),
    ),
    ordinal=True,
    # Most relevant first; "not relevant" last, although its code is the smallest number.
    inclusiveness=(1, 2, 3, 4, 0),
)

INCLUDE_MAYBE_EXCLUDE = DecisionScale(
    id="include_maybe_exclude",
    label="Include / maybe / exclude",
    options=(
        ScaleOption("include", "Include", True),
        ScaleOption("maybe", "Maybe", None),
        ScaleOption("exclude", "Exclude", False),
    ),
    ordinal=True,
    inclusiveness=("include", "maybe", "exclude"),
)

#: The full-text decision, as a scale, for agreement statistics (see :func:`full_text_votes`).
INCLUDE_EXCLUDE = DecisionScale(
    id="include_exclude",
    label="Include / exclude",
    options=(ScaleOption("include", "Include", True), ScaleOption("exclude", "Exclude", False)),
    ordinal=False,
    inclusiveness=("include", "exclude"),
)

BUILT_IN_SCALES: dict[str, DecisionScale] = {
    s.id: s for s in (RANK_0_4, INCLUDE_MAYBE_EXCLUDE, INCLUDE_EXCLUDE)
}


def scale_from_dict(data: Mapping[str, Any]) -> DecisionScale:
    """Build a custom scale from plain data (JSON, YAML, a form).

    ``{"id", "label", "ordinal", "options": [{"value", "label", "include"}, …],
    "inclusiveness": [values, most inclusive first]}``. ``ordinal`` defaults to false and
    ``inclusiveness`` to the order of ``options``. Errors are :class:`ScaleError` and name the
    field, e.g. ``options[2].include``.
    """
    if not isinstance(data, Mapping):
        raise ScaleError("scale", "must be a mapping of fields")
    for name in ("id", "label"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ScaleError(name, "is required and must be a non-empty text")
    ordinal = data.get("ordinal", False)
    if not isinstance(ordinal, bool):
        raise ScaleError("ordinal", "must be true or false")
    raw_options = data.get("options")
    if not isinstance(raw_options, Sequence) or isinstance(raw_options, str | bytes):
        raise ScaleError("options", "is required and must be a list")
    options = tuple(_option_from_dict(i, o) for i, o in enumerate(raw_options))
    raw_order = data.get("inclusiveness", [o.value for o in options])
    if not isinstance(raw_order, Sequence) or isinstance(raw_order, str | bytes):
        raise ScaleError("inclusiveness", "must be a list of option values")
    return DecisionScale(
        id=data["id"].strip(),
        label=data["label"].strip(),
        options=options,
        ordinal=ordinal,
        inclusiveness=tuple(raw_order),
    )


def _option_from_dict(i: int, raw: Any) -> ScaleOption:
    where = f"options[{i}]"
    if not isinstance(raw, Mapping):
        raise ScaleError(where, "must be a mapping with value, label and include")
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ScaleError(f"{where}.value", "is required and must be a text or a whole number")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ScaleError(f"{where}.label", "is required and must be a non-empty text")
    if "include" not in raw or raw["include"] not in (True, False, None):
        raise ScaleError(f"{where}.include", "must be true, false or null")
    return ScaleOption(value=value, label=label.strip(), include=raw["include"])


# --- conflicts and their resolution ---------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A record on which two or more reviewers gave different answers."""

    record_id: Hashable
    votes: Mapping[Hashable, Value]


def conflicts(decisions: Mapping[Hashable, Mapping[Hashable, Value]]) -> list[Conflict]:
    """Records with at least two reviewers who disagree, in the order given.

    ``decisions`` maps a record id to ``{reviewer: value}``.
    """
    found = []
    for record_id, votes in decisions.items():
        if len(votes) >= 2 and len(set(votes.values())) > 1:
            found.append(Conflict(record_id, dict(votes)))
    return found


@dataclass(frozen=True)
class Resolution:
    """The outcome of applying a rule to a record's votes.

    ``value`` is the final decision, or ``None`` while the record is still open; ``needs`` then
    says what it waits for: ``"discussion"`` (an agreed value) or ``"third_reviewer"`` (a vote).
    """

    value: Value | None
    rule: str
    needs: Literal["discussion", "third_reviewer"] | None = None

    @property
    def resolved(self) -> bool:
        return self.needs is None


def resolve(
    votes: Mapping[Hashable, Value] | Sequence[Value],
    rule: Rule,
    scale: DecisionScale,
    third: Value | None = None,
    *,
    agreed: Value | None = None,
) -> Resolution:
    """Settle a record's votes by one of three rules.

    * ``discussion`` — no automatic value; the record stays open until the reviewers give the
      value they ``agreed`` on.
    * ``third_reviewer`` — a ``third`` reviewer votes and the majority of all votes wins; with
      no majority (three different answers) the record falls back to discussion.
    * ``most_inclusive`` — the vote that comes first in ``scale.inclusiveness`` wins (the
      review's "higher category" rule).

    Unanimous votes resolve to their value under every rule.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    given = list(votes.values()) if isinstance(votes, Mapping) else list(votes)
    if not given:
        raise ValueError("votes: at least one vote is needed")
    given = [scale.validate(v) for v in given]
    if agreed is not None:
        agreed = scale.validate(agreed)
    if len(set(given)) == 1:
        return Resolution(given[0], rule)
    if rule == "most_inclusive":
        return Resolution(scale.most_inclusive(given), rule)
    if rule == "third_reviewer":
        if third is None:
            return Resolution(None, rule, needs="third_reviewer")
        all_votes = [*given, scale.validate(third)]
        value, count = Counter(all_votes).most_common(1)[0]
        if count * 2 > len(all_votes):
            return Resolution(value, rule)
    if agreed is not None:
        return Resolution(agreed, rule)
    return Resolution(None, rule, needs="discussion")


# --- full-text stage --------------------------------------------------------------------------

#: The exclusion reasons the review recorded at full text; a project may set its own list.
DEFAULT_EXCLUSION_REASONS: tuple[str, ...] = (
    "mismatched definitions",
    "peer support but not collective action",
    "groups that exclude survivors",
    "no active groups studied",
    "misleading title/abstract",
    "poor quality",
    "not retrieved",
)


@dataclass(frozen=True)
class FullTextDecision:
    """One reviewer's decision on a full text, with a note on the study's quality.

    An exclusion needs a reason from the project's list (``reasons``, by default
    :data:`DEFAULT_EXCLUSION_REASONS`); an inclusion must not carry one.
    """

    record_id: Hashable
    reviewer: Hashable
    include: bool
    exclusion_reason: str | None = None
    quality_note: str = ""
    reasons: InitVar[Sequence[str] | None] = None

    def __post_init__(self, reasons: Sequence[str] | None) -> None:
        allowed = tuple(DEFAULT_EXCLUSION_REASONS if reasons is None else reasons)
        if not isinstance(self.include, bool):
            raise ValueError("include: must be true or false")
        if not isinstance(self.quality_note, str):
            raise ValueError("quality_note: must be a text")
        if self.include:
            if self.exclusion_reason:
                raise ValueError("exclusion_reason: an included record has no exclusion reason")
            return
        if not self.exclusion_reason:
            raise ValueError("exclusion_reason: an exclusion needs a reason")
        if self.exclusion_reason not in allowed:
            raise ValueError(
                f"exclusion_reason: {self.exclusion_reason!r} is not on the project's list "
                f"({'; '.join(allowed)})"
            )


def full_text_votes(
    decisions: Iterable[FullTextDecision],
) -> dict[Hashable, dict[Hashable, str]]:
    """``{record_id: {reviewer: "include" | "exclude"}}`` on the :data:`INCLUDE_EXCLUDE` scale,
    the shape :func:`conflicts`, :func:`resolve` and the agreement functions take."""
    votes: dict[Hashable, dict[Hashable, str]] = {}
    for d in decisions:
        per_record = votes.setdefault(d.record_id, {})
        if d.reviewer in per_record:
            raise ValueError(f"reviewer {d.reviewer!r} decided record {d.record_id!r} twice")
        per_record[d.reviewer] = "include" if d.include else "exclude"
    return votes
