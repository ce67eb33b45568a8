"""The API's endpoints: read-only, JSON, one organisation's data per caller.

Each view names its permission class (see ``permissions``), scopes every query to
``request.organisation`` (see ``queries``), returns only what its serializer declares and
audits reads of person-level data. Another organisation's codes and ids give 404, never data.
Every response says ``Cache-Control: no-store``, and a query parameter an endpoint does not
know, or one given more than once, is a 400 (a mistyped filter must not quietly return
everything).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from empower.instruments import get_instrument, library
from empower.metrics.privacy import Audience
from empower.web.accounts.models import Role
from empower.web.assessments.cohort import cohort_report

from . import queries
from .audit import audit_read
from .permissions import AnyMember, CanReadPeople, CanReadReports
from .serializers import (
    AssessmentFilter,
    AssessmentSerializer,
    CohortQuery,
    CohortReportSerializer,
    InstrumentSerializer,
    InstrumentSummarySerializer,
    ParticipantFilter,
    ParticipantSerializer,
    ScoreFilter,
    ScoreRowSerializer,
)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


REFUSED = {
    403: OpenApiResponse(ErrorSerializer, description="Not logged in, no valid key, or the "
                                                      "role may not read this."),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such record here.")}
BAD_FILTER = {
    400: OpenApiResponse(OpenApiTypes.OBJECT,
                         description="A query parameter is unknown, not valid or given "
                                     "more than once; the message names it."),
}
PAGE_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="No such page.")}
THROTTLED = {
    429: OpenApiResponse(ErrorSerializer, description="Too many requests with this key; the "
                                                      "Retry-After header says when to retry."),
}
#: Query parameters of every list (``pagination.Pages``).
PAGE_PARAMETERS = ("page", "page_size")


def _check_parameters(request: Request, known: tuple[str, ...]) -> None:
    """400 naming every query parameter the endpoint does not know (``?organisation=``,
    ``?particpant=``) or that is given more than once (``?axis=healing&axis=purpose``):
    ignoring it, or using one of its values, would answer a different question than the one
    asked."""
    problems: dict[str, list[str]] = {}
    for name in sorted(set(request.query_params) - set(known)):
        allowed = ", ".join(known) or _("none")
        problems[name] = [_("Unknown parameter. This endpoint takes: %(allowed)s.")
                          % {"allowed": allowed}]
    for name in sorted(set(request.query_params) & set(known)):
        if len(request.query_params.getlist(name)) > 1:
            problems[name] = [_("Given more than once. Give each parameter once; to ask about "
                                "several values, make one request for each.")]
    if problems:
        raise serializers.ValidationError(problems)


def _filters(serializer_class: type[serializers.Serializer], request: Request,
             paged: bool = True) -> dict[str, Any]:
    """The query parameters the endpoint knows, checked (400 with the field's name if bad)."""
    known = tuple(serializer_class().fields) + (PAGE_PARAMETERS if paged else ())
    _check_parameters(request, known)
    checked = serializer_class(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


class NoStore:
    """Person data must not stay in a browser's, a proxy's or a tool's cache.

    Also: no answer to OPTIONS (DRF would describe the view there); the API reads with GET
    (and HEAD) only, everything else is 405."""

    metadata_class = None

    def finalize_response(self, request: Request, response: Any, *args: Any,
                          **kwargs: Any) -> Any:
        response = super().finalize_response(  # type: ignore[misc]
            request, response, *args, **kwargs
        )
        add_never_cache_headers(response)
        return response


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON on request). Its refusals and errors are JSON
    ``{"detail": …}`` like every other answer of the API; the schema's own renderers would
    write them as YAML. Nor does it answer OPTIONS."""

    metadata_class = None

    def finalize_response(self, request: Request, response: Any, *args: Any,
                          **kwargs: Any) -> Any:
        if getattr(response, "exception", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


# --- instruments ----------------------------------------------------------------------------


@extend_schema(tags=["instruments"], responses={200: InstrumentSummarySerializer(many=True),
                                                **BAD_FILTER, **REFUSED, **PAGE_NOT_FOUND,
                                                **THROTTLED})
class InstrumentList(NoStore, generics.ListAPIView):
    """Every instrument version in the library (id, version, title, languages)."""

    permission_classes = [AnyMember]
    serializer_class = InstrumentSummarySerializer

    def get_queryset(self) -> Any:
        return sorted(library().values(), key=lambda i: (i.id, i.version))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_parameters(request, PAGE_PARAMETERS)
        page = self.paginate_queryset(self.get_queryset())
        rows = [queries.instrument_data(instrument) for instrument in page or []]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


@extend_schema(
    tags=["instruments"],
    parameters=[
        OpenApiParameter("instrument_id", str, OpenApiParameter.PATH,
                         description="e.g. empowerment-interview"),
        OpenApiParameter("version", str, OpenApiParameter.PATH, description="e.g. 2.0"),
    ],
    responses={200: InstrumentSerializer, **BAD_FILTER, **REFUSED, **NOT_FOUND, **THROTTLED},
)
class InstrumentDetail(NoStore, generics.RetrieveAPIView):
    """One instrument version as plain data: items, response scales, axes, factors,
    subscales, scoring and the services block. The same for every organisation."""

    permission_classes = [AnyMember]
    serializer_class = InstrumentSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_parameters(request, ())
        try:
            instrument = get_instrument(kwargs["instrument_id"], kwargs["version"])
        except KeyError:
            raise Http404 from None
        return Response(self.get_serializer(queries.instrument_data(instrument)).data)


# --- participants, assessments, scores ------------------------------------------------------


class PersonLevelList(NoStore, generics.ListAPIView):
    """A paginated list of person-level records; each page read is audited.

    An endpoint names its audit label, its filters, and three functions: the filtered
    records of an organisation, one record as a row, and whose record it is.
    """

    permission_classes = [CanReadPeople]
    endpoint: str
    filter_serializer: type[serializers.Serializer]
    records: Callable[[Any, dict[str, Any]], Any]
    row: Callable[[Any], dict[str, Any]]
    code_of: Callable[[Any], str]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = _filters(self.filter_serializer, request)
        page = self.paginate_queryset(self.records(request.organisation, filters)) or []
        data = self.get_serializer([self.row(item) for item in page], many=True).data
        audit_read(request, self.endpoint, [self.code_of(item) for item in page],
                   records=len(page), filters=filters)
        return self.get_paginated_response(data)


@extend_schema(tags=["people"], parameters=[ParticipantFilter],
               responses={200: ParticipantSerializer(many=True), **BAD_FILTER, **REFUSED,
                          **PAGE_NOT_FOUND, **THROTTLED})
class ParticipantList(PersonLevelList):
    """Participants whose consent to the organisation's own reporting is in force, by code.

    Pseudonymous: code, gender, five-year age band, types of exploitation, status and the
    number of assessments. Never a name, phone number, address, year of birth, region or
    destination."""

    serializer_class = ParticipantSerializer
    endpoint = "participants"
    filter_serializer = ParticipantFilter

    records = staticmethod(lambda organisation, filters: (
        queries.participants(organisation).filter(**filters)
    ))
    row = staticmethod(queries.participant_row)
    code_of = staticmethod(lambda participant: participant.code)


@extend_schema(tags=["people"],
               parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH,
                                            description="A participant code, e.g. P-7KQ2MX "
                                                        "(capitals or not).")],
               responses={200: ParticipantSerializer, **BAD_FILTER, **REFUSED, **NOT_FOUND,
                          **THROTTLED})
class ParticipantDetail(NoStore, generics.RetrieveAPIView):
    """One participant by code, in capitals or not (404 if the code is another
    organisation's, or the person's consent to the organisation's own reporting is not in
    force)."""

    permission_classes = [CanReadPeople]
    serializer_class = ParticipantSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_parameters(request, ())
        participant = queries.by_code(queries.participants(request.organisation),
                                      kwargs["code"])
        data = self.get_serializer(queries.participant_row(participant)).data
        audit_read(request, "participant", [participant.code], records=1,
                   target=participant.code)
        return Response(data)


def _assessment_filters(queryset: Any, filters: dict[str, Any], prefix: str = "") -> Any:
    lookups = {
        # as on the site's pages and imports, p-7kq4mx is P-7KQ4MX
        "participant": f"{prefix}participant__code__iexact",
        "instrument": "instrument_id",
        "version": "instrument_version",
        "axis": "axis",
    }
    return queryset.filter(**{lookups[key]: value for key, value in filters.items()})


@extend_schema(tags=["people"], parameters=[AssessmentFilter],
               responses={200: AssessmentSerializer(many=True), **BAD_FILTER, **REFUSED,
                          **PAGE_NOT_FOUND, **THROTTLED})
class AssessmentList(PersonLevelList):
    """Assessments of consenting participants, oldest first: instrument version, date,
    language, answers (never free text) and axis scores."""

    serializer_class = AssessmentSerializer
    endpoint = "assessments"
    filter_serializer = AssessmentFilter

    records = staticmethod(lambda organisation, filters: (
        _assessment_filters(queries.assessments(organisation), filters)
    ))
    row = staticmethod(queries.assessment_row)
    code_of = staticmethod(lambda assessment: assessment.participant.code)


@extend_schema(tags=["people"],
               parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH,
                                            description="The assessment's id.")],
               responses={200: AssessmentSerializer, **BAD_FILTER, **REFUSED, **NOT_FOUND,
                          **THROTTLED})
class AssessmentDetail(NoStore, generics.RetrieveAPIView):
    """One assessment by id (404 if it is another organisation's, or its participant's
    consent to the organisation's own reporting is not in force)."""

    permission_classes = [CanReadPeople]
    serializer_class = AssessmentSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _check_parameters(request, ())
        assessment = get_object_or_404(queries.assessments(request.organisation),
                                       pk=kwargs["pk"])
        data = self.get_serializer(queries.assessment_row(assessment)).data
        audit_read(request, "assessment", [assessment.participant.code], records=1,
                   target=assessment.participant.code)
        return Response(data)


@extend_schema(tags=["people"], parameters=[ScoreFilter],
               responses={200: ScoreRowSerializer(many=True), **BAD_FILTER, **REFUSED,
                          **PAGE_NOT_FOUND, **THROTTLED})
class ScoreList(PersonLevelList):
    """Axis scores in long format: one row per assessment and axis, on the 0–100 metric,
    ordered by participant code, date and axis."""

    serializer_class = ScoreRowSerializer
    endpoint = "scores"
    filter_serializer = ScoreFilter

    records = staticmethod(lambda organisation, filters: (
        _assessment_filters(queries.scores(organisation), filters, prefix="assessment__")
    ))
    row = staticmethod(queries.score_row)
    code_of = staticmethod(lambda score: score.assessment.participant.code)


# --- cohort ---------------------------------------------------------------------------------


@extend_schema(tags=["reports"], parameters=[CohortQuery],
               responses={200: CohortReportSerializer, **BAD_FILTER, **REFUSED, **THROTTLED})
class CohortReport(NoStore, APIView):
    """The cohort report's numbers, exactly as the Cohort report page shows them.

    Counts participants with an assessment and consent, in force now, to the organisation's
    own reporting. Viewers get it with small groups suppressed (``meta.disclosure``); the
    organisation's own staff get it in full. Aggregates only: not audited as a person-level
    read."""

    permission_classes = [CanReadReports]

    def get(self, request: Request) -> Response:
        query = _filters(CohortQuery, request, paged=False)
        language = query.get("language") or request.LANGUAGE_CODE
        role = request.membership.role
        audience = Audience.VIEWER if role == Role.VIEWER else Audience.INTERNAL
        report = cohort_report(request.organisation, language, audience)
        return Response(CohortReportSerializer(report).data)
