"""Support groups, routing rules and vendors, as config.yaml declares them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import get_close_matches
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from desk.errors import InvalidInput

FIRST_LINE = "service-desk"
_GROUP_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class Assignment(StrEnum):
    """How a group hands out new tickets: agents claim them, or the desk assigns them."""

    NONE = "none"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupSettings(_Settings):
    """One support group: its level, its leads, how it assigns, and where its alerts go."""

    title: str = ""
    level: Literal["L1", "L2"] = "L2"
    leads: tuple[str, ...] = ()
    assignment: Assignment = Assignment.NONE
    # Platform -> destination: a Slack channel id, a Telegram chat id; for the console,
    # alerts go to the leads' terminals.
    alerts: dict[str, str] = Field(default_factory=dict)

    @field_validator("leads")
    @classmethod
    def _lower_case_emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(email.strip().lower() for email in value)


class RoutingRule(_Settings):
    """Send new tickets matching every given condition straight to a group."""

    group: str
    category: str | None = None
    keywords: tuple[str, ...] = ()
    department: str | None = None

    @model_validator(mode="after")
    def _has_a_condition(self) -> RoutingRule:
        if self.category is None and not self.keywords and self.department is None:
            raise ValueError(f"rule for '{self.group}' needs a category, keywords or a department")
        return self

    def matches(self, category: str | None, text: str, department: str) -> bool:
        """Tell whether a new ticket meets every condition of the rule."""
        if self.category is not None and self.category != category:
            return False
        if self.department is not None and self.department.lower() != department.lower():
            return False
        words = set(re.findall(r"[\w-]+", text.lower()))
        return not self.keywords or any(keyword.lower() in words for keyword in self.keywords)


class Vendor(_Settings):
    """An outside supplier a ticket can wait on."""

    name: str = Field(min_length=1, max_length=100)
    email: str
    contract: str = ""


def _default_groups() -> dict[str, GroupSettings]:
    groups = {FIRST_LINE: GroupSettings(title="Service desk (first line)", level="L1")}
    for name in ("network", "system", "application", "security", "hardware", "access"):
        groups[name] = GroupSettings(title=f"{name.capitalize()} specialists")
    return groups


class Routing(_Settings):
    """Where new tickets go: the first matching rule's group, else the first line."""

    first_line: str = FIRST_LINE
    # Category -> the specialist group that handles it.
    categories: dict[str, str] = Field(
        default_factory=lambda: {
            name: name
            for name in ("network", "system", "application", "security", "hardware", "access")
        }
    )
    rules: tuple[RoutingRule, ...] = ()
    # Send a new ticket whose category is known straight to that category's group, when no
    # rule matched; off, it lands in the first line, which escalates by hand.
    by_category: bool = False


class Teams(_Settings):
    """Groups, the routing between them, and vendors; every name checked against the others."""

    groups: dict[str, GroupSettings] = Field(default_factory=_default_groups)
    routing: Routing = Field(default_factory=Routing)
    vendors: tuple[Vendor, ...] = ()

    @model_validator(mode="after")
    def _names_exist(self) -> Teams:
        for name in self.groups:
            if not _GROUP_NAME.match(name):
                raise ValueError(f"group '{name}' must be a lower-case name such as 'network'")
        routing = self.routing
        named = [("routing.first_line", routing.first_line)]
        named += [(f"routing.categories.{k}", group) for k, group in routing.categories.items()]
        named += [(f"routing.rules.{i}.group", rule.group) for i, rule in enumerate(routing.rules)]
        for key, group in named:
            if group not in self.groups:
                raise ValueError(f"{key} names group '{group}', which is not under groups")
        return self

    @property
    def first_line(self) -> str:
        return self.routing.first_line

    def route(self, category: str | None, text: str, department: str) -> str:
        """Return the group a new ticket goes to: the first matching rule, else first line."""
        for rule in self.routing.rules:
            if rule.matches(category, text, department):
                return rule.group
        if self.routing.by_category and category in self.routing.categories:
            return self.routing.categories[category]
        return self.routing.first_line

    def group(self, name: str) -> GroupSettings:
        """Return a group's settings by name, or raise InvalidInput with a suggestion."""
        settings = self.groups.get(name.strip().lower())
        if settings is None:
            raise InvalidInput(f"There is no group '{name}'.{did_you_mean(name, self.groups)}")
        return settings

    def group_name(self, name: str) -> str:
        self.group(name)
        return name.strip().lower()

    def vendor(self, name: str) -> Vendor:
        """Return a vendor by name, ignoring case, or raise InvalidInput with a suggestion."""
        by_name = {vendor.name.lower(): vendor for vendor in self.vendors}
        vendor = by_name.get(name.strip().lower())
        if vendor is None:
            names = [vendor.name for vendor in self.vendors]
            known = (
                f" Known vendors: {', '.join(names)}." if names else " No vendors are configured."
            )
            raise InvalidInput(f"There is no vendor '{name}'.{did_you_mean(name, names) or known}")
        return vendor

    def leads_of(self, group: str) -> tuple[str, ...]:
        settings = self.groups.get(group)
        return settings.leads if settings else ()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean X?' naming the closest choices, or nothing when none is close."""
    options = {choice.lower(): choice for choice in choices}
    close = get_close_matches(word.strip().lower(), list(options), n=2, cutoff=0.6)
    return f" Did you mean {' or '.join(options[c] for c in close)}?" if close else ""
