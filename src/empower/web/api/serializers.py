"""What the API returns, field by field.

Every response passes through one of these serializers, so they are also the list of what may
leave the system: a field that is not declared here is dropped, whatever the data holds. Person
level serializers carry no name, phone, address or narrative, and no answer to a free-text item.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from empower.web.people.models import Gender, Status

# --- small building blocks ------------------------------------------------------------------

TEXTS_HELP = "Text by language code (en, bn, my …)."


def texts(**kwargs: Any) -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), help_text=TEXTS_HELP, **kwargs)


class NumberField(serializers.FloatField):
    """A float that is written as ``null`` when it is not a finite number (JSON has no NaN)."""

    def to_representation(self, value: Any) -> float | None:
        number = float(value)
        return number if math.isfinite(number) else None


def number(**kwargs: Any) -> NumberField:
    return NumberField(allow_null=True, **kwargs)


def count(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, **kwargs)


@extend_schema_field(
    {"anyOf": [{"type": "number"}, {"type": "string"}], "nullable": True,
     "description": "A number on the item's scale, or a code such as prefer_not_to_say "
                    "or not_applicable."}
)
class AnswerValueField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"anyOf": [{"type": "integer"}, {"type": "string"}]})
class OptionValueField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


# --- instruments ----------------------------------------------------------------------------

#: Choice sets named in the schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
INSTRUMENT_KINDS = ["four_axis_interview", "scales"]
ITEM_KINDS = ["rating", "effect", "text", "choice"]


class InstrumentSummarySerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.CharField()
    kind = serializers.ChoiceField(choices=INSTRUMENT_KINDS)
    title = texts()
    languages = serializers.ListField(child=serializers.CharField())


class LabelledSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = texts()
    description = texts()


class OptionSerializer(serializers.Serializer):
    value = OptionValueField()
    label = texts()


class ScaleSerializer(serializers.Serializer):
    id = serializers.CharField()
    minimum = serializers.IntegerField()
    maximum = serializers.IntegerField()
    prefer_not_to_say = serializers.BooleanField()
    options = OptionSerializer(many=True)


class ItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.ChoiceField(choices=ITEM_KINDS)
    text = texts()
    scale = serializers.CharField(allow_null=True)
    axis = serializers.CharField(allow_null=True)
    factor = serializers.CharField(allow_null=True)
    subscale = serializers.CharField(allow_null=True)
    reverse = serializers.BooleanField()
    required = serializers.BooleanField()
    sensitivity = serializers.ChoiceField(
        choices=["identifying", "quasi_identifying", "sensitive", "plain"]
    )
    section = serializers.CharField(allow_blank=True)


class SubscaleSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = texts()
    axis = serializers.CharField()
    items = serializers.ListField(child=serializers.CharField())
    min_answered = serializers.FloatField()


class ScoringSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["ladder", "subscale_mean"])
    min_answered = serializers.FloatField()


class ServiceBlockSerializer(serializers.Serializer):
    service_types = OptionSerializer(many=True)
    provider_types = OptionSerializer(many=True)
    conditions = OptionSerializer(many=True)
    effect_scale = serializers.CharField()


class InstrumentSerializer(InstrumentSummarySerializer):
    description = texts()
    axes = LabelledSerializer(many=True)
    factors = LabelledSerializer(many=True)
    scales = ScaleSerializer(many=True)
    items = ItemSerializer(many=True)
    subscales = SubscaleSerializer(many=True)
    scoring = ScoringSerializer()
    services = ServiceBlockSerializer(allow_null=True)


# --- people ---------------------------------------------------------------------------------


class ParticipantSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The participant's pseudonymous code.")
    gender = serializers.ChoiceField(choices=Gender.choices, allow_null=True)
    age_band = serializers.CharField(
        allow_null=True,
        help_text="Five-year age band at the first assessment, e.g. '20-24' (from the year of "
                  "birth); null without a year of birth or an assessment.",
    )
    exploitation_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes: labour_trafficking, forced_marriage, exploited_worker, "
                  "sex_trafficking, cheated_job_seeker, other.",
    )
    status = serializers.ChoiceField(choices=Status.choices, allow_null=True,
                                     help_text="Status at the first interview.")
    assessments = serializers.IntegerField(help_text="Number of assessments recorded.")


class AxisScoreSerializer(serializers.Serializer):
    axis = serializers.CharField()
    score = number(help_text="0–100; null when too few items were answered.")
    missing_reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField()


@extend_schema_field(
    {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True,
     "description": "A value of the instrument's effect scale (−2 … +2), not_applicable, "
                    "prefer_not_to_say, or null when it was skipped."}
)
class EffectValueField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class ServiceReceivedSerializer(serializers.Serializer):
    """One service the person received, as the interview's services block recorded it."""

    service_type = serializers.CharField(
        allow_null=True,
        help_text="One of the instrument's services.service_types values, e.g. shelter; null "
                  "when none was recorded.",
    )
    provider_type = serializers.CharField(
        allow_null=True,
        help_text="One of the instrument's services.provider_types values, e.g. ngo_cso; null "
                  "when none was recorded.",
    )
    respected_wishes = serializers.BooleanField(
        allow_null=True,
        help_text="Whether it respected the person's own needs and wishes; null when not "
                  "recorded or not sure.",
    )
    conditions = serializers.ListField(
        child=serializers.CharField(), allow_null=True,
        help_text="Conditions or pressures that came with it (values of the instrument's "
                  "services.conditions); null when they were not asked about.",
    )
    effects = serializers.DictField(
        child=EffectValueField(),
        help_text="Effect on each axis, by axis id, on the instrument's services.effect_scale.",
    )


class AssessmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    participant = serializers.CharField(help_text="The participant's code.")
    instrument_id = serializers.CharField()
    instrument_version = serializers.CharField()
    conducted_on = serializers.DateField()
    language = serializers.CharField()
    answers = serializers.DictField(
        child=AnswerValueField(),
        help_text="Answers by item id. Free-text items (the participant's own words) are "
                  "never included.",
    )
    services = ServiceReceivedSerializer(
        many=True,
        help_text="Services received (four-axis interviews); empty for instruments without a "
                  "services block. Only the block's options are included, never free text.",
    )
    scores = AxisScoreSerializer(many=True)


class ScoreRowSerializer(serializers.Serializer):
    participant = serializers.CharField(help_text="The participant's code.")
    assessment = serializers.IntegerField(help_text="Id of the assessment.")
    conducted_on = serializers.DateField()
    instrument_id = serializers.CharField()
    instrument_version = serializers.CharField()
    axis = serializers.CharField()
    score = number(help_text="0–100; null when too few items were answered.")
    missing_reason = serializers.CharField(allow_blank=True)
    source = serializers.CharField()


# --- cohort report ----------------------------------------------------------------------------


class ReleaseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["published", "held", "refused"],
        help_text="published: these figures are new or the same as before; held: too few "
                  "people changed since an earlier release, so its figures are given again; "
                  "refused: nothing can be given yet (see docs/disclosure-control.md).")
    since = serializers.CharField(allow_null=True, required=False,
                                  help_text="When the figures given again were first released.")
    withheld_tables = serializers.ListField(
        child=serializers.CharField(),
        help_text="Tables left out because too few people in them changed since an earlier "
                  "release.")


class DisclosureSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=["internal", "viewer", "external", "public"])
    threshold = count(help_text="Smallest group shown; null: nothing withheld.")
    suppressed_cells = serializers.IntegerField()
    note = serializers.CharField()
    release = ReleaseSerializer(
        required=False,
        help_text="For readers outside the organisation's staff: how this release compares "
                  "with earlier ones (absent for staff, whose figures are exact).")


class CohortMetaSerializer(serializers.Serializer):
    title = serializers.CharField()
    organisation = serializers.CharField()
    generated_at = serializers.DateTimeField()
    synthetic = serializers.BooleanField(help_text="True when the data are made up (demo).")
    counted = serializers.CharField(help_text="Who is counted.")
    instruments = serializers.ListField(child=serializers.CharField())
    disclosure = DisclosureSerializer()


class BreakdownRowSerializer(serializers.Serializer):
    category = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    count = count()
    percent = number()
    suppressed = serializers.BooleanField(required=False)
    withheld = serializers.BooleanField(required=False)


class AgeSummarySerializer(serializers.Serializer):
    n = count()
    minimum = count(help_text="Withheld (null) outside the organisation's own staff.")
    maximum = count(help_text="Withheld (null) outside the organisation's own staff.")
    mean = number()
    lower_band = serializers.CharField(allow_null=True, required=False)
    upper_band = serializers.CharField(allow_null=True, required=False)


class SampleSerializer(serializers.Serializer):
    n = count()
    breakdowns = serializers.DictField(child=BreakdownRowSerializer(many=True))
    breakdown_titles = serializers.DictField(child=serializers.CharField())
    multi_select = serializers.ListField(child=serializers.CharField())
    age = AgeSummarySerializer(allow_null=True)


class CohortAxisScoreSerializer(serializers.Serializer):
    instrument_id = serializers.CharField()
    instrument_version = serializers.CharField()
    axis = serializers.CharField()
    axis_label = serializers.CharField()
    n = count()
    n_missing = count()
    mean = number()
    sd = number()
    median = number()
    minimum = number()
    maximum = number()


class FactorAxisCellSerializer(serializers.Serializer):
    factor = serializers.CharField()
    factor_label = serializers.CharField()
    axis = serializers.CharField()
    axis_label = serializers.CharField()
    n = count()
    n_not_applicable = count()
    n_unanswered = count()
    mean_effect = number()
    share_empowering = number()
    share_disempowering = number()
    share_no_effect = number()


class ChangeAxisSerializer(serializers.Serializer):
    axis = serializers.CharField()
    axis_label = serializers.CharField()
    n = count()
    n_not_compared = count()
    n_across_versions = count()
    reliably_improved = count()
    reliably_improved_share = number()
    reliably_improved_lower = number()
    reliably_improved_upper = number()
    no_reliable_change = count()
    no_reliable_change_share = number()
    no_reliable_change_lower = number()
    no_reliable_change_upper = number()
    reliably_deteriorated = count()
    reliably_deteriorated_share = number()
    reliably_deteriorated_lower = number()
    reliably_deteriorated_upper = number()
    mid_improved = count()
    mid_improved_share = number()
    mid_unchanged = count()
    mid_unchanged_share = number()
    mid_deteriorated = count()
    mid_deteriorated_share = number()
    median_days_to_improvement = number()
    withheld = serializers.BooleanField(required=False)


class CurveSerializer(serializers.Serializer):
    timeline = serializers.ListField(child=NumberField())
    survival = serializers.ListField(child=NumberField())


class TrajectoryPointSerializer(serializers.Serializer):
    axis = serializers.CharField()
    days = serializers.IntegerField(help_text="Start of the 90-day period since the first "
                                              "assessment.")
    n = count()
    mean = number()


class ChangeSerializer(serializers.Serializer):
    axes = ChangeAxisSerializer(many=True)
    curves = serializers.DictField(
        child=CurveSerializer(), required=False,
        help_text="Time to reliable improvement per axis; only for the organisation's own "
                  "staff.",
    )
    trajectory = TrajectoryPointSerializer(many=True, required=False)
    notes = serializers.ListField(child=serializers.CharField())


class CohortReportSerializer(serializers.Serializer):
    meta = CohortMetaSerializer()
    sample = SampleSerializer()
    axis_scores = CohortAxisScoreSerializer(many=True)
    factor_axis_map = FactorAxisCellSerializer(many=True)
    change = ChangeSerializer()


# --- query parameters -----------------------------------------------------------------------


class ParticipantFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)


class AssessmentFilter(serializers.Serializer):
    participant = serializers.CharField(required=False, max_length=20,
                                        help_text="A participant code, in capitals or not "
                                                  "(p-7kq2mx is P-7KQ2MX).")
    instrument = serializers.CharField(required=False, max_length=80,
                                       help_text="An instrument id.")
    version = serializers.CharField(required=False, max_length=20,
                                    help_text="An instrument version.")


class ScoreFilter(AssessmentFilter):
    axis = serializers.CharField(required=False, max_length=40,
                                 help_text="An axis id, e.g. healing.")


class CohortQuery(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False,
        help_text="Language of the labels; by default the Accept-Language header's.",
    )
