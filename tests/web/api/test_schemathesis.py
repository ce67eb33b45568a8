"""Property-based run of the API against its committed schema (schemathesis): generated
requests to every operation, as an analyst of an organisation holding the demo cohort, never
get a server error and always get a response that matches the schema."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from empower.web.api.models import ApiKey
from empower.web.people.models import Participant

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
#: Per operation; enough to vary every parameter, small enough to run in well under a minute.
EXAMPLES = 12


@pytest.fixture
def same_connection():
    """Keep Django from closing the test's database connection at the end of each request
    (it does so between real requests); the test's transaction must stay open. Django's own
    test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_server_errors_and_responses_match_the_schema(db, same_connection):
    from django.contrib.auth import get_user_model

    call_command("demo", stdout=StringIO())
    analyst = get_user_model().objects.get(username="demo-analyst")
    headers = {"Authorization": f"Token {ApiKey.create_for(analyst)[1]}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_path(SCHEMA)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8

    participant = Participant.objects.filter(assessments__isnull=False).first()
    known = {  # real records for the detail routes, which random values would never hit
        "GET /api/participants/{code}/": {"code": participant.code},
        "GET /api/assessments/{id}/": {"id": participant.assessments.first().pk},
        "GET /api/instruments/{instrument_id}/{version}/": {
            "instrument_id": "empowerment-interview", "version": "2.0"},
    }
    answered: dict[str, set[int]] = {}
    runs = [(operation, None) for operation in operations] + [
        (operation, known[operation.label]) for operation in operations
        if operation.label in known
    ]
    for operation, path_parameters in runs:

        @given(case=operation.as_strategy(path_parameters=path_parameters))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(app=app, headers=headers)
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance],
                headers=headers,
            )

        run()
    # The key worked: every operation answered with data at least once, not only refusals.
    assert all(200 in codes for codes in answered.values()), answered
    assert len(answered) == len(operations) == len(known) + 5
