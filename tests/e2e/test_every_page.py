"""Every page of the site, for every role, on a 360 × 740 phone in English, Bengali and Burmese.

Each page fails on: markup shown as text (``<svg``, ``&lt;``, ``{{`` … in what people read),
text running out of its box (an element whose content is wider than it, with no sideways
scrolling on it or around it), a page wider than the screen, a picture or chart that does not
show (a broken image, an SVG of zero size), and any request of the page (the page itself, its
styles, scripts, pictures and icon) answering with an error.

The pages are read from the URL configuration, as ``tests/web/test_access_matrix.py`` does, so
a new page is opened as soon as it is added. A route that is not a page to look at (the target
of a button, a file download, the API for programs) is listed in ``NOT_PAGES`` with the reason;
``test_not_pages_are_routes_of_the_site`` keeps that list true. A route parameter this test does
not know fails the test: teach ``_kwargs`` which object to put there.

Which role may open which page is the server's answer: a page that answers 403 to a role is not
that role's page and is not looked at; every page must be opened by at least one role.

A screenshot of each failing page is kept in ``test-artifacts/`` (or the folder named by
``EMPOWER_SCREENSHOTS_ON_FAILURE``), named after the role, the language and the page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from empower.instruments import get_instrument
from empower.web.assessments.recording import record_assessment

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"
ROLES = ["admin", "interviewer", "analyst", "viewer"]
LANGUAGES = ["en", "bn", "my"]
PHONE = {"width": 360, "height": 740}

#: Routes that are not pages to look at, and why.
NOT_PAGES = {
    "logout": "the Log out button (POST only)",
    "set_language": "the language switch at the foot of every page (POST only)",
    "member_update": "the role form on the team page (POST only)",
    "organisation_settings": "the settings form on the team page (POST only)",
    "member_unlock": "a button on the team page (POST only)",
    "member_reset_two_step": "a button on the team page (POST only)",
    "import_discard": "a button on the import page (POST only)",
    "review_seek": "a button on the review page (POST only)",
    "assessment_draft": "where Quick exit keeps an open interview as it leaves (answers 204)",
    "review_download": "a file download (checked below: it must not answer an error)",
    "instrument_xlsform": "a file download (checked below: it must not answer an error)",
    "api_instrument_list": "the API: data for programs, not a page",
    "api_instrument_detail": "the API: data for programs, not a page",
    "api_participant_list": "the API: data for programs, not a page",
    "api_participant_detail": "the API: data for programs, not a page",
    "api_assessment_list": "the API: data for programs, not a page",
    "api_assessment_detail": "the API: data for programs, not a page",
    "api_score_list": "the API: data for programs, not a page",
    "api_cohort": "the API: data for programs, not a page",
    "api_schema": "the API's description for programs, not a page",
    "favicon": "the site's icon (an image), for programs that ask for it by its old name",
}

#: Pages opened on the way rather than from the list: before logging in, during it, at the end.
ON_THE_WAY = {
    "login": "opened before logging in",
    "login_code": "the code step of an administrator's login",
    "quick_exit": "opened last, since it ends the session",
}

DOWNLOADS = {
    "review_download": ["decisions.csv", "characteristics.xlsx", "synthesis.xlsx"],
    "instrument_xlsform": [None],
}

#: A few people from the pilot-shaped files of the field-tools tests, so an import has rows.
KOBO_FILE = Path(__file__).parents[1] / "web" / "fieldwork" / "data" / "kobo_api_v2.json"
KOBO_CODES = ("P-7KQ4MX", "P-3HW9TD", "P-N2C8RF")

CHECKS = r"""
() => {
  const problems = [];
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (el.classList.length) name += "." + [...el.classList].join(".");
    const text = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim();
    return text ? `${name} "${text.slice(0, 70)}"` : name;
  };
  const text = document.body.innerText;
  for (const token of ["<svg", "&lt;", "&gt;", "{{", "{%", "%}"]) {
    const at = text.indexOf(token);
    if (at >= 0) {
      const around = text.slice(Math.max(0, at - 40), at + 60).replace(/\s+/g, " ");
      problems.push(`markup shown as text (${token}): "…${around}…"`);
    }
  }
  const screen = document.documentElement.clientWidth;
  const width = document.documentElement.scrollWidth;
  if (width > screen) problems.push(`the page is ${width}px wide on a ${screen}px screen`);
  const scrollsSideways = (el) => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      if (overflow === "auto" || overflow === "scroll") return true;
    }
    return false;
  };
  // Text kept for screen readers only: inside a clipped box of at most 1 px.
  const hiddenForEyes = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const style = getComputedStyle(e);
      if ((style.overflow === "hidden" || style.overflow === "clip" || style.clip !== "auto")
          && e.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  const SKIP = new Set(["INPUT", "SELECT", "TEXTAREA", "OPTION", "SCRIPT", "STYLE"]);
  const spilling = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!(el instanceof HTMLElement) || SKIP.has(el.tagName)) continue;
    if (hiddenForEyes(el) || !el.checkVisibility()) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && !scrollsSideways(el)) {
      spilling.push(el);
    }
  }
  // An element spilling out makes every box around it spill too: name only the innermost.
  for (const el of spilling) {
    if (spilling.some((other) => other !== el && el.contains(other))) continue;
    let widest = null;
    for (const child of el.children) {
      const right = child.getBoundingClientRect().right;
      if (!widest || right > widest.getBoundingClientRect().right) widest = child;
    }
    problems.push(`text runs out of its box: ${describe(el)} is ${el.clientWidth}px wide, `
      + `its content ${el.scrollWidth}px` + (widest ? `; widest inside: ${describe(widest)}` : ""));
  }
  for (const img of document.images) {
    if (img.complete && img.naturalWidth === 0) {
      problems.push(`picture does not show: ${img.getAttribute("src")}`);
    }
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (svg.parentElement && svg.parentElement.closest("svg")) continue;
    if (!svg.checkVisibility()) continue;
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) {
      problems.push(`picture of zero size: svg ${svg.getAttribute("aria-label") || ""} `
        + `(${box.width}×${box.height}) in ${describe(svg.parentElement)}`);
    }
  }
  return problems;
}
"""


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """(route name, route pattern) for every named URL of the site."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((entry.name, prefix + str(entry.pattern)))
    return found


def _params(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _kwargs(name: str, route: str, data: dict, role: str) -> dict:
    """Fill each route parameter with a real object of the organisation."""
    values = {
        "code": data["participant"].code,
        "consent_id": data["consent"].pk,
        "instrument_id": "empowerment-interview",
        "version": "2.0",
    }
    pk_by_route = {
        "assessment_detail": data["assessment"].pk,
        "member_update": data["users"]["interviewer"].membership.pk,
        "member_unlock": data["users"]["interviewer"].membership.pk,
        "member_reset_two_step": data["users"]["interviewer"].membership.pk,
        "import_review": data["pending"].get(role, data["pending"]["interviewer"]).pk,
        "import_discard": data["pending"].get(role, data["pending"]["interviewer"]).pk,
        "api_assessment_detail": data["assessment"].pk,
        "job_detail": data["job"].pk,
        **{name: data["project"].pk for name, _route in _routes() if name.startswith("review_")},
    }
    kwargs = {}
    for param in _params(route):
        if param == "pk":
            assert name in pk_by_route, f"every page: say which object <pk> is in '{name}'"
            kwargs[param] = pk_by_route[name]
        elif param != "what":
            assert param in values, f"every page: unknown parameter <{param}> in '{name}'"
            kwargs[param] = values[param]
    return kwargs


def _pages() -> list[tuple[str, str]]:
    return [(name, route) for name, route in _routes()
            if name not in NOT_PAGES and name not in ON_THE_WAY]


# ------------------------------------------------------------------------------------------------
# the organisation


def _office(make_org, make_member, make_participant, consent_factory) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from empower.web.fieldwork.models import PendingImport
    from empower.web.jobs.models import Job
    from empower.web.people.models import Referral
    from empower.web.reviews.models import Criterion, Decision, Project, Record, Search

    organisation = make_org("field-office", "Field office Cox's Bazar")
    users = {}
    for role in ROLES:
        users[role] = make_member(organisation, role, username=f"{role}-1")
    admin_device = TOTPDevice.objects.create(user=users["admin"], name="phone", confirmed=True)

    people = []
    for n, region in enumerate(("Khulna", "Jessore", "Mon", "Bago", "Satkhira", "Yangon")):
        person = make_participant(
            organisation, consent=False, gender="female" if n % 2 else "male",
            year_of_birth=1990 + n, region_of_origin=region, destination_country="Thailand",
            name=f"Person {n}",
        )
        consent_factory(person, "interview", "own_reporting", "referral", "research",
                        days_ago=400)
        for months_ago, rise in ((9, 0), (1, 2)):
            assessment = record_assessment(
                participant=person, instrument=get_instrument("empowerment-interview", "2.0"),
                conducted_on=date.today() - timedelta(days=30 * months_ago + n), language="en",
                interviewer=users["interviewer"],
                answers={f"rating__{axis}": 3 + n + rise for axis in
                         ("healing", "purpose", "inner_peace", "self_capacity")},
                narratives={"note__family": "My family welcomed me home after two years away."},
            )
        people.append((person, assessment))
    participant, assessment = people[0]
    Referral.objects.create(participant=participant, kind="legal")
    for code in KOBO_CODES:
        make_participant(organisation, code=code, gender="female", year_of_birth=1998)

    pending = {}
    for role in ("admin", "interviewer"):
        upload = PendingImport(organisation=organisation, user=users[role],
                               filename="kobo-export-2026-03-14.json")
        upload.data = KOBO_FILE.read_bytes()
        upload.save()
        pending[role] = upload

    project = Project.objects.create(
        organisation=organisation, created_by=users["admin"],
        title="Empowerment-based interventions for survivors of trafficking",
        question="What supports survivors' empowerment after return?",
        include_terms="empowerment\nsurvivor", exclude_terms="animal",
    )
    Criterion.objects.create(project=project, factor="Population",
                             criterion="Adult survivors of human trafficking")
    Search.objects.create(project=project, database="Scopus", run_on=date.today(), hits=3,
                          query='TITLE-ABS-KEY("human trafficking" AND empowerment)')
    records = [
        Record.objects.create(
            project=project, source="Scopus", year=2019 + n, journal="Journal of Human Trafficking",
            title=title, abstract="Survivors described empowerment as regaining choices.",
            authors=["Rahman, A.", "Aung, K."], doi=f"10.1080/23322705.2019.170343{n}",
        )
        for n, title in enumerate((
            "Empowerment after return: a cohort of survivors of labour trafficking",
            "Survivor-led groups and recovery in Bangladesh and Myanmar",
            "Measuring empowerment over time with survivors' own words",
        ))
    ]
    Decision.objects.create(record=records[0], stage="title_abstract",
                            reviewer=users["admin"], value="1")
    Decision.objects.create(record=records[0], stage="title_abstract",
                            reviewer=users["interviewer"], value="0")
    for user in get_user_model().objects.all():
        user.set_password(PASSWORD)
        user.save()
    # A job still running: its progress page (a finished one leads on to its result).
    job = Job.objects.create(organisation=organisation, kind="cohort_report", status="running",
                             done_steps=1, total_steps=2, step="Drawing the charts",
                             params={"language": "en", "audience": "internal"})
    return {
        "job": job,
        "users": users, "admin_device": admin_device, "participant": participant,
        "assessment": assessment, "consent": participant.consents.get(), "pending": pending,
        "project": project,
    }


@pytest.fixture
def office(transactional_db, make_org, make_member, make_participant, consent_factory):
    return _office(make_org, make_member, make_participant, consent_factory)


# ------------------------------------------------------------------------------------------------
# looking at a page


class Visit:
    """One browser context (a role in a language) and what it saw."""

    def __init__(self, context: Any, live_server: Any, label: str, screenshot: Any) -> None:
        self.context = context
        self.page = context.new_page()
        self.page.set_default_timeout(20000)
        self.base = live_server.url
        self.label = label
        self.screenshot = screenshot
        self.failed_requests: list[str] = []
        self.problems: dict[str, list[str]] = {}
        self.icons_checked: set[str] = set()
        self.page.on("response", self._response)
        self.page.on("requestfailed", self._request_failed)

    def _path(self, url: str) -> str:
        return url.removeprefix(self.base)

    def _request_failed(self, request: Any) -> None:
        # A request the browser itself cancelled because the next page was opened is no failure.
        if request.failure != "net::ERR_ABORTED":
            self.failed_requests.append(
                f"{request.method} {self._path(request.url)} failed: {request.failure}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed_requests.append(
                f"{response.request.method} {self._path(response.url)} answered {response.status}")

    def open(self, name: str, url: str, expect: tuple[int, ...] = (200,)) -> int:
        """Open ``url`` and note what is wrong with it; the status of the page."""
        self.failed_requests = []
        response = self.page.goto(self.base + url, wait_until="load")
        status = response.status if response is not None else 0
        if status == 403 and expect == (200,):
            return status  # not this role's page
        problems = []
        if status not in expect:
            problems.append(f"the page answered {status}")
        else:
            # the page's own expected answer (a 404 page) is not a failed request
            self.failed_requests = [
                failure for failure in self.failed_requests
                if not failure.endswith(f"{self._path(response.url)} answered {status}")
            ]
        problems += self.page.evaluate(CHECKS)
        problems += self._icons()
        problems += self.failed_requests
        if problems:
            self.problems[f"{name} ({url})"] = problems
            self.screenshot(self.page, f"{self.label}-{name}")
        return status

    def _icons(self) -> list[str]:
        """The page's icon is asked for by browsers beside the page; it must be there."""
        problems = []
        hrefs = self.page.eval_on_selector_all("link[rel~=icon]", "els => els.map(e => e.href)")
        for href in hrefs:
            if href in self.icons_checked or href.startswith("data:"):
                continue
            self.icons_checked.add(href)
            status = self.context.request.get(href).status
            if status >= 400:
                problems.append(f"GET {self._path(href)} (the page's icon) answered {status}")
        return problems

    def fetch_status(self, url: str) -> int:
        return self.context.request.get(self.base + url, max_redirects=0).status

    def close(self) -> None:
        self.context.close()


def _code(device: Any) -> str:
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _log_in(visit: Visit, office: dict, role: str) -> None:
    page = visit.page
    visit.open("login", "/login/")
    page.fill("#id_username", office["users"][role].username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    if role == "admin":
        page.wait_for_url(re.compile(r".*/login/code/.*"))
        visit.open("login_code", "/login/code/")
        page.fill("#id_code", _code(office["admin_device"]))
        page.click("main button[type=submit]")
    page.wait_for_url(f"{visit.base}/")


def _report(visit: Visit) -> str:
    lines = []
    for page, problems in visit.problems.items():
        lines.append(f"\n{page}:")
        lines += [f"  - {problem}" for problem in problems]
    return "\n".join(lines)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_reads_on_a_phone(browser, live_server, office, role, language,
                                     failure_screenshot):
    membership = office["users"][role].membership
    membership.language = language
    membership.save()
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                          "url": live_server.url}])
    visit = Visit(context, live_server, f"{role}-{language}", failure_screenshot)
    try:
        _log_in(visit, office, role)
        opened = []
        for name, route in _pages():
            url = reverse(name, kwargs=_kwargs(name, route, office, role))
            if visit.open(name, url) != 403:
                opened.append(name)
        for name, whats in DOWNLOADS.items():
            for what in whats:
                route = dict(_routes())[name]
                kwargs = _kwargs(name, route, office, role)
                url = reverse(name, kwargs={**kwargs, **({"what": what} if what else {})})
                status = visit.fetch_status(url)
                if status >= 400 and status != 403:
                    visit.problems.setdefault(f"{name} ({url})", []).append(
                        f"the download answered {status}")
        visit.open("not_found", "/no-such-page/", expect=(404,))
        visit.open("quick_exit", reverse("quick_exit"))
    finally:
        visit.close()
    assert visit.problems == {}, (
        f"{len(visit.problems)} pages with problems for the {role} in {language}:"
        + _report(visit))
    assert "home" in opened


def test_not_pages_are_routes_of_the_site():
    names = {name for name, _ in _routes()}
    assert set(NOT_PAGES) - names == set()
    assert set(ON_THE_WAY) - names == set()
    assert set(DOWNLOADS) <= set(NOT_PAGES)


def test_the_list_of_pages_covers_the_site():
    """What is looked at: every route but those listed above with a reason."""
    pages = {name for name, _ in _pages()}
    for expected in ("home", "team", "audit_log", "participant_detail", "assessment_detail",
                     "cohort_report", "review_prisma", "import_review", "api_key"):
        assert expected in pages
    assert pages.isdisjoint(NOT_PAGES)


def test_every_page_is_some_roles_page(office, client):
    """A page no role may open is a page nobody checks: each opens for at least one role
    (the test client, logged in as each role, with the administrator past the code step)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    reachable: dict[str, list[str]] = {}
    for role in ROLES:
        client.force_login(office["users"][role])
        if role == "admin":
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = office["admin_device"].persistent_id
            session.save()
        for name, route in _pages():
            url = reverse(name, kwargs=_kwargs(name, route, office, role))
            if client.get(url).status_code < 400:
                reachable.setdefault(name, []).append(role)
        client.logout()
    assert {name for name, _ in _pages()} - set(reachable) == set()

