"""An evidence review through the site: protocol, import, duplicates, double screening,
disagreements, full texts, PRISMA diagram and downloads."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from empower.web.reviews.models import Project, Record, Resolution, Search

RIS = """TY  - JOUR
TI  - Survivor-led groups and collective action against trafficking
AU  - Rahman, A.
PY  - 2020
JO  - Journal of Human Trafficking
DO  - 10.1000/jht.2020.1
AB  - A survivor network organises members to advocate for justice.
ER  -
TY  - JOUR
TI  - Survivor led groups and collective action against trafficking
AU  - Rahman, A
PY  - 2020
JO  - J Hum Traffick
DO  - https://doi.org/10.1000/JHT.2020.1
ER  -
TY  - JOUR
TI  - Soil moisture in rice paddies
AU  - Tan, B.
PY  - 2019
JO  - Agronomy Letters
ER  -
TY  - JOUR
TI  - Peer support among returned migrant workers
AU  - Aung, C.
PY  - 2021
JO  - Migration Studies
ER  -
"""


def _project(client, **extra):
    data = {"title": "Survivor groups", "question": "How do survivor-led groups form?",
            "scale": "rank_0_4", "conflict_rule": "most_inclusive",
            "include_terms": "survivor*\ncollective", "exclude_terms": ""}
    data.update(extra)
    client.post(reverse("review_create"), data)
    project = Project.objects.get()
    client.post(reverse("review_search_add", args=[project.pk]), {
        "database": "Scopus", "method": "database", "query": "survivor AND group",
        "run_on": "2023-01-10", "hits": "4", "not_exported": "0",
    })
    return project


def _import(client, project, text=RIS, name="scopus.ris"):
    return client.post(reverse("review_import", args=[project.pk]), {
        "search": Search.objects.get(project=project).pk,
        "file": SimpleUploadedFile(name, text.encode("utf-8-sig")),
        "file_format": "",
    })


def test_import_removes_the_duplicate_by_doi(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    response = _import(client, project)
    assert response.status_code == 302
    assert Record.objects.filter(project=project).count() == 4
    duplicate = Record.objects.get(removed="duplicate")
    assert duplicate.duplicate_of.doi == "10.1000/jht.2020.1"
    page = client.get(reverse("review_detail", args=[project.pk])).content.decode()
    assert "<strong>1</strong> duplicate removed<" in page
    assert "1</strong> duplicates removed" not in page


def test_a_file_that_loses_records_imports_nothing(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    broken = (
        "@article{a, title={One paper}, author={Smith, J}, year={2020}}\n\n"
        "@article{b, title={Two paper, year={2021}\n\n"  # the brace is never closed
        "@article{c, title={Three paper}, year={2022}}\n"
    )
    response = _import(client, project, broken, name="library.bib")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported" in page and "read 2 records but the file holds 3" in page
    assert "entry 2" in page
    assert not Record.objects.exists()


def _screen(client, project, value):
    page = client.get(reverse("review_screen", args=[project.pk]))
    record = page.context["record"]
    client.post(reverse("review_screen", args=[project.pk]), {"record": record.pk,
                                                              "value": str(value)})
    return record


def test_double_screening_resolution_and_prisma(login, org_a, make_member):
    lead = login(org_a, "analyst")
    client = Client()  # the second reviewer's own browser
    project = _project(lead)
    _import(lead, project)
    second = make_member(org_a, "analyst", username="second")
    # Reviewer one: survivor paper 1, everything else 0.
    first_votes = {}
    for _ in range(3):
        record = lead.get(reverse("review_screen", args=[project.pk])).context["record"]
        value = 1 if "Survivor" in record.title else (2 if "Peer" in record.title else 0)
        lead.post(reverse("review_screen", args=[project.pk]),
                  {"record": record.pk, "value": str(value)})
        first_votes[record.pk] = value
    assert lead.get(reverse("review_screen", args=[project.pk])).context["record"] is None
    # Blind: the second reviewer is offered records without seeing the first one's votes.
    client.force_login(second)
    for _ in range(3):
        page = client.get(reverse("review_screen", args=[project.pk]))
        record = page.context["record"]
        assert "Your decision" not in page.content.decode()
        value = 1 if "Survivor" in record.title else (3 if "Peer" in record.title else 0)
        client.post(reverse("review_screen", args=[project.pk]),
                    {"record": record.pk, "value": str(value)})
    # The peer-support paper got 2 and 3: the more inclusive (2) wins, as the review did.
    peer = Record.objects.get(title__startswith="Peer")
    resolution = Resolution.objects.get(record=peer, stage="title_abstract")
    assert resolution.value == "2" and resolution.rule == "most_inclusive"
    assert Resolution.objects.get(record__title__startswith="Soil").rule == "agreement"
    # Agreement on the project page: 3 records, 2 agreed.
    page = lead.get(reverse("review_detail", args=[project.pk])).content.decode()
    assert "Agreement between reviewers" in page
    # Full text: the two records that passed are sought; one cannot be retrieved.
    lead.post(reverse("review_seek", args=[project.pk]))
    survivor = Record.objects.get(title__startswith="Survivor-led")
    lead.post(reverse("review_full_text", args=[project.pk]),
              {"record": peer.pk, "action": "not_retrieved"})
    lead.post(reverse("review_full_text", args=[project.pk]),
              {"record": survivor.pk, "action": "retrieved"})
    for reviewer in (lead, client):
        reviewer.post(reverse("review_full_text", args=[project.pk]),
                      {"record": survivor.pk, "action": "include", "note": "good quality"})
    prisma = lead.get(reverse("review_prisma", args=[project.pk]))
    assert prisma.context["open"] == {"total": 0, "groups": [], "others": [], "other_count": 0}
    assert "<svg" in prisma.context["svg"]
    # Identified 4, 1 duplicate, 3 screened, 1 excluded, 2 sought, 1 not retrieved,
    # 1 assessed, 1 included.
    from empower.evidence.prisma import prisma_counts
    from empower.web.reviews.logic import prisma_log

    counts = prisma_counts(prisma_log(project))
    assert counts.databases == {"Scopus": 4}
    assert (counts.duplicates, counts.records_screened, counts.records_excluded) == (1, 3, 1)
    assert (counts.dbr_sought, counts.dbr_not_retrieved, counts.dbr_assessed) == (2, 1, 1)
    assert counts.studies_included == 1
    for what, start in (("prisma.png", b"\x89PNG"), ("prisma.pdf", b"%PDF")):
        body = lead.get(reverse("review_download", args=[project.pk, what])).content
        assert body.startswith(start), what
    csv = lead.get(reverse("review_download", args=[project.pk, "decisions.csv"]))
    assert csv.content.decode("utf-8-sig").count("title_abstract") == 6
    r_csv = lead.get(reverse("review_download", args=[project.pk, "prisma-r.csv"]))
    assert "records_screened" in r_csv.content.decode()
    # Study characteristics and a synthesis theme, read back from the workbooks.
    lead.post(reverse("review_themes", args=[project.pk]), {
        "theme": "Belonging", "description": "Members feel part of something",
        f"finding-{survivor.pk}": "Members describe hope and belonging",
    })
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(lead.get(
        reverse("review_download", args=[project.pk, "characteristics.xlsx"])).content))
    sheet = book.active
    assert sheet["A1"].value == "Study" and sheet["A2"].value == "Rahman 2020"
    assert sheet["H2"].value == "good quality; good quality"
    book = load_workbook(io.BytesIO(lead.get(
        reverse("review_download", args=[project.pk, "synthesis.xlsx"])).content))
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert cells[0][:3] == ["Theme", "Description", "Rahman 2020"]
    assert cells[1][:3] == ["Belonging", "Members feel part of something",
                            "Members describe hope and belonging"]


def test_disagreement_under_discussion_waits_for_the_agreed_value(login, org_a, make_member,
                                                                    client):
    lead = login(org_a, "analyst")
    project = _project(lead, conflict_rule="discussion")
    _import(lead, project)
    second = make_member(org_a, "analyst", username="second")
    record = Record.objects.get(title__startswith="Peer")
    from empower.web.reviews.logic import decide

    decide(record, "title_abstract", second, "2")
    decide(record, "title_abstract", Project.objects.get().created_by, "3")
    assert not Resolution.objects.filter(record=record).exists()
    page = lead.get(reverse("review_conflicts", args=[project.pk])).content.decode()
    assert "Peer support" in page
    lead.post(reverse("review_conflicts", args=[project.pk]) + "?stage=title_abstract",
              {"record": record.pk, "value": "3"})
    resolution = Resolution.objects.get(record=record)
    assert resolution.value == "3" and resolution.rule == "discussion"


def test_keywords_are_highlighted_on_the_screening_page(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    _import(client, project)
    page = client.get(reverse("review_screen", args=[project.pk])).content.decode()
    assert '<mark class="include">' in page


def test_viewers_see_the_review_but_cannot_screen(login, org_a, make_member):
    lead = login(org_a, "analyst")
    client = Client()
    project = _project(lead)
    client.force_login(make_member(org_a, "viewer", username="board"))
    assert client.get(reverse("review_detail", args=[project.pk])).status_code == 200
    assert client.get(reverse("review_screen", args=[project.pk])).status_code == 403


def test_csv_import_with_a_column_mapping(login, org_a):
    client = login(org_a, "analyst")
    project = _project(client)
    response = client.post(reverse("review_import", args=[project.pk]), {
        "search": Search.objects.get(project=project).pk,
        "file": SimpleUploadedFile("export.csv", b"Heading,When\nSurvivor networks,2020\n"),
        "file_format": "csv", "columns": "Heading = title\nWhen = year",
    })
    assert response.status_code == 302
    record = Record.objects.get()
    assert (record.title, record.year) == ("Survivor networks", 2020)
    bad = client.post(reverse("review_import", args=[project.pk]), {
        "search": Search.objects.get(project=project).pk,
        "file": SimpleUploadedFile("export.csv", b"Heading\nX\n"),
        "columns": "just words",
    })
    assert "Line 1" in bad.content.decode()
