"""Screening order: the model is trained again after every few decisions, not after each one, and
every record is still offered exactly once, most likely relevant first."""

from __future__ import annotations

from typing import Any

import pytest

from empower.web.reviews import logic
from empower.web.reviews.models import Decision, Project, Record, Stage


@pytest.fixture
def project(org_a: Any) -> Project:
    project = Project.objects.create(organisation=org_a, title="Peer support",
                                     question="survivor peer support groups")
    titles = [f"Survivor peer support group study {n}" for n in range(6)] + [
        f"Soil chemistry of river deltas {n}" for n in range(6)]
    for title in titles:
        Record.objects.create(project=project, source="Scopus", title=title,
                              abstract=title.lower())
    return project


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    fitted: list[int] = []
    real = logic.Prioritiser.fit

    def counting(self: Any, texts: Any, labels: Any) -> Any:
        fitted.append(sum(label is not None for label in labels))
        return real(self, texts, labels)

    monkeypatch.setattr(logic.Prioritiser, "fit", counting)
    return fitted


def test_the_model_is_trained_once_per_few_decisions_and_nothing_is_offered_twice(
    project, make_member, org_a, trainings
):
    reviewer = make_member(org_a, "analyst", username="reviewer")
    offered = []
    while True:
        record, _left = logic.next_for(project, reviewer)
        if record is None:
            break
        offered.append(record.title)
        relevant = "Survivor" in record.title
        Decision.objects.create(record=record, stage=Stage.TITLE_ABSTRACT, reviewer=reviewer,
                                value="1" if relevant else "0")
    assert sorted(offered) == sorted(Record.objects.values_list("title", flat=True))
    # 12 decisions: trained at 0, 5 and 10 labelled records, not 12 times.
    assert trainings == [0, 5, 10]
    # The question already puts the survivor papers first, before any decision.
    assert all("Survivor" in title for title in offered[:6])
