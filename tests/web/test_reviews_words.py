"""Review pages: counts that match what is listed and take the right plural, notes that are
never lost or cut short, and import messages that say what to do."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from empower.web.reviews.models import Decision, Project, Record, Retrieval, Search

from .test_reviews import _import, _project


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _ris(titles: list[str]) -> str:
    return "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  -\n" for t in titles)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---- counts and plurals


def test_the_prisma_page_counts_what_it_lists(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    # 35 distinct works: more than the 30 problems the old page listed under its count.
    _import(client, project, _ris([f"Study number {n} of survivor groups" for n in range(35)]))
    words = _text(client.get(reverse("review_prisma", args=[project.pk])).content.decode())
    assert "35 things are still open:" in words
    assert "35 records have not been decided at title and abstract screening yet." in words
    assert "record " + str(Record.objects.first().pk) + ":" not in words


def test_one_open_thing_is_said_in_the_singular(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project, _ris(["A single study of survivor groups"]))
    words = _text(client.get(reverse("review_prisma", args=[project.pk])).content.decode())
    assert "1 thing is still open:" in words and "1 things" not in words
    assert "1 record has not been decided at title and abstract screening yet." in words


def test_the_import_message_puts_each_count_in_the_right_form(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    response = _import(client, project)  # 4 records, 1 of them a duplicate by DOI
    message = _messages(response)[-1]
    assert message.startswith("4 records read from Scopus. 1 duplicate removed. 0 pairs need")
    assert "duplicates removed" not in message


def test_the_project_page_and_screening_page_use_plurals(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project, _ris(["The only study of survivor groups"]))
    detail = _text(client.get(reverse("review_detail", args=[project.pk])).content.decode())
    assert "1 record imported" in detail and "0 duplicates removed" in detail
    screen = _text(client.get(reverse("review_screen", args=[project.pk])).content.decode())
    assert "1 record left for you" in screen


def test_seeking_full_texts_says_one_record(login, org_a, make_member):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project, _ris(["The only study of survivor groups"]))
    record = Record.objects.get()
    from empower.web.reviews.logic import decide

    decide(record, "title_abstract", make_member(org_a, "analyst", username="r1"), "1")
    decide(record, "title_abstract", make_member(org_a, "analyst", username="r2"), "1")
    response = client.post(reverse("review_seek", args=[project.pk]))
    assert _messages(response)[-1] == "1 record sought for retrieval."


# ---- notes


def _first(client, project):
    return client.get(reverse("review_screen", args=[project.pk])).context["record"]


def test_a_note_sent_with_a_decision_is_kept_with_it(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    record = _first(client, project)
    client.post(reverse("review_screen", args=[project.pk]),
                {"record": record.pk, "value": "2", "note": "check the sample size"})
    decision = Decision.objects.get(record=record)
    assert (decision.value, decision.note) == ("2", "check the sample size")


def test_the_note_comes_before_the_decision_buttons_in_their_form(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    page = client.get(reverse("review_screen", args=[project.pk])).content.decode()
    form = page[page.index('<input type="hidden" name="record"'):]
    form = form[:form.index("</form>")]
    assert 0 < form.index('name="note"') < form.index('name="value"')


def test_a_note_thought_of_after_the_decision_is_added_to_it(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    record = _first(client, project)
    url = reverse("review_screen", args=[project.pk])
    response = client.post(url, {"record": record.pk, "value": "0"})
    assert response["Location"] == f"{url}?last={record.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "Add a note to this decision" in page
    assert f"Saved: Not relevant for “{record.title[:79]}" in _text(page)
    client.post(url, {"record": record.pk, "action": "note", "note": "wrong country"})
    decision = Decision.objects.get(record=record)
    assert (decision.value, decision.note) == ("0", "wrong country")


def test_a_note_too_long_is_refused_whole_not_cut(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    record = _first(client, project)
    note = "word " * 500 + "end of the pasted note"  # 2,522 characters
    response = client.post(reverse("review_screen", args=[project.pk]),
                           {"record": record.pk, "value": "3", "note": note})
    assert response.status_code == 400
    assert not Decision.objects.exists()
    page = response.content.decode()
    assert note.strip() in page  # given back whole, to shorten
    assert ("This text is 2522 characters long; it can have at most 2000. Nothing was saved. "
            "Shorten it by 522 characters and save again.") in page
    assert response.context["record"] == record


def test_a_full_text_note_too_long_is_refused_and_kept(login, org_a, make_member):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project, _ris(["The only study of survivor groups"]))
    record = Record.objects.get()
    from empower.web.reviews.logic import decide

    decide(record, "title_abstract", make_member(org_a, "analyst", username="r1"), "1")
    decide(record, "title_abstract", make_member(org_a, "analyst", username="r2"), "1")
    Record.objects.filter(pk=record.pk).update(retrieval=Retrieval.RETRIEVED)
    note = "x" * 2001
    response = client.post(reverse("review_full_text", args=[project.pk]),
                           {"record": record.pk, "action": "include", "note": note})
    assert response.status_code == 400
    assert not Decision.objects.filter(stage="full_text").exists()
    assert f">{note}</textarea>" in response.content.decode()
    # Without a reason an exclusion is refused too, and the note typed is not lost.
    response = client.post(reverse("review_full_text", args=[project.pk]),
                           {"record": record.pk, "action": "exclude", "note": "thin data"})
    assert ">thin data</textarea>" in response.content.decode()


def test_a_theme_description_too_long_is_refused_and_kept(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    text = "y" * 4001
    response = client.post(reverse("review_themes", args=[project.pk]),
                           {"theme": "Belonging", "description": text})
    assert response.status_code == 400
    assert not project.themes.exists()
    page = response.content.decode()
    assert f">{text}</textarea>" in page and 'value="Belonging"' in page


def test_a_csv_without_a_title_column_says_which_column_to_name(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    response = client.post(reverse("review_import", args=[project.pk]), {
        "search": Search.objects.get(project=project).pk,
        "file": SimpleUploadedFile("export.csv", b"Heading,When\nSurvivor networks,2020\n"),
        "file_format": "csv",
    })
    page = _text(response.content.decode())
    assert "Pass a mapping" not in page
    assert "Say which column holds the titles, for example “Heading = title”" in page


def test_a_value_not_on_the_scale_gets_plain_words(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    record = _first(client, project)
    for url in (reverse("review_screen", args=[project.pk]),
                reverse("review_conflicts", args=[project.pk]) + "?stage=title_abstract"):
        response = client.post(url, {"record": record.pk, "value": "zzz"})
        assert _messages(response)[-1] == "Choose one of the decision buttons."
    assert not Decision.objects.exists()


def test_decision_buttons_do_not_repeat_a_code_that_is_the_label(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client, scale="include_maybe_exclude")
    _import(client, project)
    words = _text(client.get(reverse("review_screen", args=[project.pk])).content.decode())
    assert "include · Include" not in words and " Include " in words
    # On a ranked scale the number is part of the decision, and stays.
    Project.objects.filter(pk=project.pk).update(scale="rank_0_4")
    words = _text(client.get(reverse("review_screen", args=[project.pk])).content.decode())
    assert "1 · Trafficking survivors, survivor-led, working to an outcome" in words
