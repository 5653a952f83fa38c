"""The desk's configurable rules: ticket numbers, categories and the priority matrix."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from desk.vocabulary import Impact, Priority, Urgency

DEFAULT_CATEGORIES = ("network", "system", "application", "security", "hardware", "access")

# Rows are impact, columns urgency (normal, difficult, blocked, stopped).
DEFAULT_MATRIX: dict[Impact, dict[Urgency, Priority]] = {
    Impact.JUST_ME: {
        Urgency.NORMAL: Priority.P4,
        Urgency.DIFFICULT: Priority.P4,
        Urgency.BLOCKED: Priority.P3,
        Urgency.STOPPED: Priority.P2,
    },
    Impact.TEAM: {
        Urgency.NORMAL: Priority.P4,
        Urgency.DIFFICULT: Priority.P3,
        Urgency.BLOCKED: Priority.P2,
        Urgency.STOPPED: Priority.P1,
    },
    Impact.DEPARTMENT: {
        Urgency.NORMAL: Priority.P3,
        Urgency.DIFFICULT: Priority.P3,
        Urgency.BLOCKED: Priority.P2,
        Urgency.STOPPED: Priority.P1,
    },
    Impact.COMPANY: {
        Urgency.NORMAL: Priority.P3,
        Urgency.DIFFICULT: Priority.P2,
        Urgency.BLOCKED: Priority.P1,
        Urgency.STOPPED: Priority.P1,
    },
}


class DeskPolicy(BaseModel):
    """Rules the desk applies to every ticket."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket_prefix: str = Field(default="HD", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    priority_matrix: dict[Impact, dict[Urgency, Priority]] = Field(
        default_factory=lambda: {row: dict(cols) for row, cols in DEFAULT_MATRIX.items()}
    )

    @field_validator("categories")
    @classmethod
    def _categories_are_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one category is needed")
        for name in value:
            if not name.isidentifier() or name != name.lower():
                raise ValueError(f"category {name!r} must be a lower-case word such as 'network'")
        return value

    @field_validator("priority_matrix")
    @classmethod
    def _matrix_is_complete(
        cls, value: dict[Impact, dict[Urgency, Priority]]
    ) -> dict[Impact, dict[Urgency, Priority]]:
        for impact in Impact:
            row = value.get(impact)
            if row is None:
                raise ValueError(f"impact '{impact}' has no row")
            missing = [urgency.value for urgency in Urgency if urgency not in row]
            if missing:
                raise ValueError(f"impact '{impact}' has no priority for {', '.join(missing)}")
        return value

    def priority_for(self, impact: Impact, urgency: Urgency) -> Priority:
        """Look up the priority for an impact and an urgency."""
        return self.priority_matrix[impact][urgency]
