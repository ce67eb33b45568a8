"""End to end, in a real browser on a phone-sized screen: register, consent, interview, report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"


def _no_sideways_scroll(page) -> None:
    """The page itself must fit a 360-px screen; wide tables scroll inside their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"


def _login(page, live_server, username) -> None:
    page.goto(f"{live_server.url}/login/")
    _no_sideways_scroll(page)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def interviewer(transactional_db, make_org, make_member):
    organisation = make_org("field-office")
    user = make_member(organisation, "interviewer", username="worker")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_interview_end_to_end_on_a_phone(phone, live_server, interviewer, tmp_path):
    page = phone
    _login(page, live_server, "worker")

    page.click("text=Register a participant")
    page.select_option("#id_gender", "female")
    page.fill("#id_year_of_birth", "2000")
    page.fill("#id_region_of_origin", "Mon")
    page.check("input[value=labour_trafficking]")
    page.fill("#id_destination_country", "Thailand")
    page.select_option("#id_status", "returned")
    _no_sideways_scroll(page)
    page.click("main button[type=submit]")

    page.wait_for_selector("text=Record consent")
    page.select_option("#id_how_given", "written")
    yesterday = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#id_given_at", yesterday)
    page.click("input[name=answer_interview][value=yes] >> xpath=..")
    page.click("input[name=answer_own_reporting][value=yes] >> xpath=..")
    page.click("input[name=answer_research][value=no] >> xpath=..")
    _no_sideways_scroll(page)
    page.click("main button[type=submit]")

    page.wait_for_selector("text=Consent recorded")
    receipt = page.inner_text("main")
    assert "You agreed to" in receipt and "You did not agree to" in receipt
    _no_sideways_scroll(page)
    page.click("text=Back to the participant")
    page.click("a.button:has-text('2.0')")
    page.wait_for_selector("form.assessment")
    _no_sideways_scroll(page)
    # Tap the answers the way a worker would: on the labels.
    page.click("input[name=rating__healing][value='7'] >> xpath=..")
    page.click("input[name=rating__inner_peace][value='3'] >> xpath=..")
    page.click("input[name=rating__purpose][value='prefer_not_to_say'] >> xpath=..")
    page.click("input[name=rating__self_capacity][value='10'] >> xpath=..")
    page.click("input[name=effect__family__healing][value='2'] >> xpath=..")
    page.click("input[name=effect__legal_process__inner_peace][value='-2'] >> xpath=..")
    page.fill("textarea[name=note__family]", "They welcomed me home.")
    page.select_option("select[name=service-0-service_type]", "psychosocial_support")
    page.select_option("select[name=service-0-provider_type]", "ngo_cso")
    page.select_option("select[name=service-0-respected_wishes]", "yes")
    page.screenshot(path=str(tmp_path / "interview.png"), full_page=False)
    page.click("button[name=save]")

    page.wait_for_selector("text=Assessment saved")
    body = page.inner_text("main")
    assert "66.7" in body          # healing: (7 − 1) / 9 · 100
    assert "22.2" in body          # inner peace: (3 − 1) / 9 · 100
    assert "They welcomed me home." in body
    _no_sideways_scroll(page)

    page.click("main p.muted a")   # back to the participant
    assert page.locator("figure.chart svg").count() == 1
    _no_sideways_scroll(page)

    page.click("nav >> text=Cohort report")
    page.wait_for_selector("svg")
    assert "Thailand" in page.inner_text("main")
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
