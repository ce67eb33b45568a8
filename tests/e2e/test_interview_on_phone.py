"""End to end, in a real browser on a phone-sized screen: register, consent, interview, report."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"


def _no_sideways_scroll(page) -> None:
    """The page itself must fit a 360-px screen; wide tables scroll inside their own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide"


def _next(page, number) -> None:
    """Go on to step ``number`` with the step's own Next button."""
    page.click(".step-actions button[name=next]")
    page.wait_for_url(f"**step={number}")
    assert f"Step {number} of 11" in page.inner_text("main")


def _login(page, live_server, username) -> None:
    page.goto(f"{live_server.url}/login/")
    if page.viewport_size["width"] <= 360:
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
    # The interview comes in short steps; tap the answers the way a worker would: on labels.
    assert "Step 1 of 11" in page.inner_text("main")
    page.click("input[name=rating__healing][value='7'] >> xpath=..")
    page.click("input[name=rating__inner_peace][value='3'] >> xpath=..")
    page.click("input[name=rating__purpose][value='prefer_not_to_say'] >> xpath=..")
    page.click("input[name=rating__self_capacity][value='10'] >> xpath=..")
    _next(page, 2)
    page.click("input[name=effect__family__healing][value='2'] >> xpath=..")
    page.fill("textarea[name=note__family]", "They welcomed me home.")
    assert "22 of 4,000" in page.inner_text("#id_note__family-count")
    # A paste longer than the limit is kept whole and the counter says so.
    page.fill("textarea[name=note__family]", "a" * 4001)
    assert len(page.input_value("textarea[name=note__family]")) == 4001
    assert "Too long: 4,001 characters" in page.inner_text("#id_note__family-count")
    page.fill("textarea[name=note__family]", "They welcomed me home.")
    # Back to step 1 and forward again: nothing is lost either way.
    page.click(".step-actions button[name=back]")
    page.wait_for_url("**step=1")
    assert page.is_checked("input[name=rating__healing][value='7']")
    _next(page, 2)
    assert page.input_value("textarea[name=note__family]") == "They welcomed me home."
    for number in range(3, 12):
        _next(page, number)
        _no_sideways_scroll(page)
        if number == 5:  # justice processes
            page.click("input[name=effect__legal_process__inner_peace][value='-2'] >> xpath=..")
    page.select_option("select[name=service-0-service_type]", "psychosocial_support")
    page.select_option("select[name=service-0-provider_type]", "ngo_cso")
    page.select_option("select[name=service-0-respected_wishes]", "yes")
    page.screenshot(path=str(tmp_path / "interview.png"), full_page=False)
    page.click(".step-actions button[name=save]")

    page.wait_for_selector("text=Assessment saved")
    body = page.inner_text("main")
    assert "66.7" in body          # healing: (7 − 1) / 9 · 100
    assert "22.2" in body          # inner peace: (3 − 1) / 9 · 100
    assert "They welcomed me home." in body
    _no_sideways_scroll(page)

    page.click("main p.muted a")   # back to the participant
    assert page.locator("figure.chart svg").count() == 1
    _no_sideways_scroll(page)

    if page.locator("details.menu > summary").is_visible():  # the phone's folded menu
        page.click("details.menu > summary")
    page.click("nav >> text=Cohort report")
    page.wait_for_selector("svg")
    assert "Thailand" in page.inner_text("main")
    _no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


@pytest.fixture
def consenting(interviewer, make_participant):
    return make_participant(interviewer.membership.organisation)


def _interview_url(live_server, participant, query=""):
    return (f"{live_server.url}/participants/{participant.code}/assess/"
            f"empowerment-interview/2.0/{query}")


def test_quick_exit_mid_interview_keeps_what_was_typed(phone, live_server, consenting):
    from empower.web.assessments.models import Assessment, AssessmentDraft

    page = phone
    _login(page, live_server, "worker")
    page.goto(_interview_url(live_server, consenting))
    for axis in ("healing", "purpose", "inner_peace", "self_capacity"):
        page.click(f"input[name=rating__{axis}][value='5'] >> xpath=..")
    _next(page, 2)
    page.click("input[name=effect__family__purpose][value='-1'] >> xpath=..")
    page.fill("textarea[name=note__family]", "Words typed just before leaving")
    # Escape three times while typing the note: the site is left at once.
    page.focus("textarea[name=note__family]")
    for _ in range(3):
        page.keyboard.press("Escape")
    page.wait_for_url(f"{live_server.url}/exit/")
    assert "empower" not in page.content().lower()

    draft = AssessmentDraft.objects.get(participant=consenting)
    assert draft.data["note__family"] == ["Words typed just before leaving"]
    assert draft.data["effect__family__purpose"] == ["-1"]
    assert draft.data["rating__healing"] == ["5"] and draft.step == 2
    assert not Assessment.objects.exists()

    # Logged out by quick exit; back in, the interview resumes where it was left.
    _login(page, live_server, "worker")
    page.goto(f"{live_server.url}/participants/{consenting.code}/")
    page.click("text=Resume “Empowerment interview 2.0”")
    page.wait_for_selector("form.assessment")
    assert "Step 2 of 11" in page.inner_text("main")
    assert page.input_value("textarea[name=note__family]") == "Words typed just before leaving"
    assert page.is_checked("input[name=effect__family__purpose][value='-1']")


def _questions_inside_their_boxes(page) -> None:
    """Every question's text ends inside the box drawn around its answers."""
    overflow = page.evaluate("""() => [...document.querySelectorAll('.question')].map(q => {
        const box = (q.querySelector('fieldset') || q).getBoundingClientRect();
        const text = q.querySelector('legend, label').getBoundingClientRect();
        return [q.id, text.left < box.left - 1 || text.right > box.right + 1
                      || text.top < box.top - 1];
    }).filter(([, out]) => out).map(([id]) => id)""")
    assert overflow == [], f"{page.url}: text outside its box in {overflow}"


@pytest.mark.parametrize("language", ["bn", "my", "en"])
def test_every_step_fits_a_phone(phone, browser, live_server, consenting, language):
    """Each step at 360 px (and, with EMPOWER_SCREENSHOTS, a screenshot of each step at 360 px
    and at 1280 px)."""
    folder = os.environ.get("EMPOWER_SCREENSHOTS")
    desktop = None
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        desktop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _login(desktop, live_server, "worker")
    page = phone
    _login(page, live_server, "worker")
    page.goto(_interview_url(live_server, consenting, f"?lang={language}"))
    for axis in ("healing", "purpose", "inner_peace", "self_capacity"):
        page.click(f"input[name=rating__{axis}][value='prefer_not_to_say'] >> xpath=..")
    for number in range(1, 12):
        if number > 1:
            _next(page, number)
        main = page.inner_text("main")
        assert f"Step {number} of 11" in main
        _no_sideways_scroll(page)
        _questions_inside_their_boxes(page)
        if 2 <= number <= 10:  # a factor's step: N/A in the interview's own language
            section = page.inner_text("section.block")
            assert ("N/A" in section) == (language == "en")
        if folder:
            page.screenshot(path=f"{folder}/interview-{language}-360-step{number}.png",
                            full_page=True)
            desktop.goto(page.url)
            desktop.screenshot(path=f"{folder}/interview-{language}-1280-step{number}.png",
                               full_page=True)
    if desktop is not None:
        desktop.context.close()
