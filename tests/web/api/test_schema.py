"""The committed OpenAPI schema (docs/openapi.yaml) is what the code generates, without
warnings; and the served one needs a login or a key."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.management import call_command
from django.urls import reverse

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"
REGENERATE = "empower spectacular --file docs/openapi.yaml --validate --fail-on-warn"


def test_the_committed_schema_is_up_to_date_and_clean(tmp_path):
    fresh = tmp_path / "openapi.yaml"
    # --fail-on-warn turns every drf-spectacular warning (an unresolvable type, a name
    # collision) into a failure; --validate checks the result against the OpenAPI 3 spec.
    call_command("spectacular", file=str(fresh), validate=True, fail_on_warn=True)
    assert fresh.read_text() == COMMITTED.read_text(), f"Schema out of date: run {REGENERATE}"


def test_the_schema_lists_every_api_route_and_no_other_route():
    paths = set(yaml.safe_load(COMMITTED.read_text())["paths"])
    assert paths == {
        "/api/instruments/", "/api/instruments/{instrument_id}/{version}/",
        "/api/participants/", "/api/participants/{code}/", "/api/assessments/",
        "/api/assessments/{id}/", "/api/scores/", "/api/cohort/",
    }


def test_the_served_schema_needs_a_login(client, org_a, login):
    assert client.get(reverse("api_schema")).status_code == 403
    served = login(org_a, "viewer").get(reverse("api_schema"))
    assert served.status_code == 200
    assert yaml.safe_load(served.content)["paths"].keys() == \
        yaml.safe_load(COMMITTED.read_text())["paths"].keys()
