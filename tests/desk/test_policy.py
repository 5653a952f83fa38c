from __future__ import annotations

import pytest
from pydantic import ValidationError

from desk.policy import DeskPolicy
from desk.vocabulary import Impact, Priority, Urgency


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (Impact.JUST_ME, Urgency.NORMAL, Priority.P4),
        (Impact.JUST_ME, Urgency.BLOCKED, Priority.P3),
        (Impact.TEAM, Urgency.BLOCKED, Priority.P2),
        (Impact.DEPARTMENT, Urgency.DIFFICULT, Priority.P3),
        (Impact.COMPANY, Urgency.BLOCKED, Priority.P1),
        (Impact.COMPANY, Urgency.STOPPED, Priority.P1),
    ],
)
def test_default_matrix(impact: Impact, urgency: Urgency, expected: Priority) -> None:
    assert DeskPolicy().priority_for(impact, urgency) == expected


def test_matrix_from_configuration_overrides_the_default() -> None:
    rows = {impact.value: {urgency.value: "P2" for urgency in Urgency} for impact in Impact}

    policy = DeskPolicy.model_validate({"priority_matrix": rows})

    assert policy.priority_for(Impact.JUST_ME, Urgency.NORMAL) == Priority.P2


def test_incomplete_matrix_names_the_missing_cells() -> None:
    rows = {impact.value: {"normal": "P4"} for impact in Impact}

    with pytest.raises(ValidationError, match="impact 'just_me' has no priority for difficult"):
        DeskPolicy.model_validate({"priority_matrix": rows})


@pytest.mark.parametrize("categories", [[], ["Network"], ["net work"]])
def test_bad_categories_are_refused(categories: list[str]) -> None:
    with pytest.raises(ValidationError):
        DeskPolicy.model_validate({"categories": categories})
