"""The pages added for field tools, exports, the API key and languages fit a 360-px phone, in
English and in Bengali and Burmese (whose words and scripts run wider)."""

from __future__ import annotations

from datetime import date

import pytest

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"
RATINGS = {f"rating__{a}": 6 for a in ("healing", "purpose", "inner_peace", "self_capacity")}

PAGES = {
    "analyst": ["/instruments/", "/exports/", "/exports/records/", "/api/key/",
                "/account/language/", "/reports/cohort/"],
    "interviewer": ["/imports/", "/instruments/", "/account/language/"],
}


def _width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def office(transactional_db, make_org, make_member, make_participant):
    organisation = make_org("field-office")
    for n in range(6):
        person = make_participant(organisation, gender="female", year_of_birth=1995 + n)
        record_assessment(
            participant=person, instrument=get_instrument("empowerment-interview", "2.0"),
            conducted_on=date.today(), language="en", interviewer=None,
            answers=RATINGS,
        )
    users = {}
    for role in PAGES:
        user = make_member(organisation, role, username=f"{role}-1")
        user.set_password(PASSWORD)
        user.save()
        users[role] = user
    return users


@pytest.mark.parametrize("language", ["en", "bn", "my"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_new_pages_fit_a_phone(phone, live_server, office, role, language):
    membership = office[role].membership
    membership.language = language
    membership.save()
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", office[role].username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    too_wide = {}
    for path in PAGES[role]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert page.evaluate("document.documentElement.lang") == language, path
        if _width(page) > 360:
            too_wide[path] = _width(page)
    assert too_wide == {}, f"pages wider than the screen ({language}): {too_wide}"
