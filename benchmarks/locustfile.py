"""Who uses the site at once, for ``load_test.py``: interviewers and analysts of one organisation.

Each simulated person logs in once with their own account (``load-interviewer-1`` … and
``load-analyst-1`` …, prepared by ``load_test.py --prepare``), then works with pauses of one to
three seconds, as people do:

* an **interviewer** opens the home page and the participant list, a participant's page, the
  first and a middle step of the interview, and now and then saves a whole interview;
* an **analyst** opens the cohort report, the instrument quality page and participants' pages.

Requests are named after the page, not the address, so the report groups them per page.
"""

from __future__ import annotations

import itertools
import random
import re
from datetime import date

from locust import HttpUser, between, task

PASSWORD = "load-test-password-2026"
INTERVIEW = "/participants/{code}/assess/empowerment-interview/2.0/"
AXES = ("healing", "purpose", "inner_peace", "self_capacity")
_numbers = {"interviewer": itertools.count(1), "analyst": itertools.count(1)}


def _token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match.group(1) if match else ""


class Member(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        username = f"load-{self.role}-{next(_numbers[self.role])}"
        page = self.client.get("/login/", name="login page").text
        self.client.post("/login/", {"username": username, "password": PASSWORD,
                                     "csrfmiddlewaretoken": _token(page)},
                         name="log in", headers={"Referer": f"{self.host}/login/"})
        listing = self.client.get("/participants/", name="participant list").text
        self.codes = sorted(set(re.findall(r"/participants/(P-[A-Z0-9]+)/", listing)))

    def participant(self) -> str:
        return random.choice(self.codes)


class Interviewer(Member):
    role = "interviewer"
    weight = 40

    @task(3)
    def home_and_list(self) -> None:
        self.client.get("/", name="home")
        self.client.get("/participants/", name="participant list")

    @task(4)
    def participant_page(self) -> None:
        self.client.get(f"/participants/{self.participant()}/", name="participant page")

    @task(4)
    def interview_steps(self) -> None:
        url = INTERVIEW.format(code=self.participant())
        self.client.get(url, name="interview step 1")
        self.client.get(url + "?step=6", name="interview step 6")

    @task(1)
    def save_interview(self) -> None:
        url = INTERVIEW.format(code=self.participant())
        page = self.client.get(url + "?step=11", name="interview step 11").text
        answers = {f"rating__{axis}": str(random.randint(1, 10)) for axis in AXES}
        with self.client.post(url + "?step=11", {
            "csrfmiddlewaretoken": _token(page), "conducted_on": date.today().isoformat(),
            "interview_language": "en", **answers,
        }, name="save interview", headers={"Referer": f"{self.host}{url}"},
                allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"not saved: {response.status_code}")


class Analyst(Member):
    role = "analyst"
    weight = 10

    @task(3)
    def cohort_report(self) -> None:
        self.client.get("/reports/cohort/", name="cohort report")

    @task(1)
    def instrument_quality(self) -> None:
        self.client.get("/instruments/empowerment-scales/1.0/quality/", name="instrument quality")

    @task(2)
    def participant_page(self) -> None:
        self.client.get(f"/participants/{self.participant()}/", name="participant page")
