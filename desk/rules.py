"""Everything the desk is configured with, in one object handed to every desk service."""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.calendar import CalendarSettings
from desk.followup import FollowUps, FollowUpSettings
from desk.policy import DeskPolicy
from desk.sla import ServiceLevels, SlaSettings
from desk.teams import Teams
from kb.index import KbSettings
from kb.query import Synonyms
from kb.triage import TriageSettings


@dataclass(frozen=True)
class Rules:
    """Ticket policy, teams, service levels and follow-ups."""

    policy: DeskPolicy = field(default_factory=DeskPolicy)
    teams: Teams = field(default_factory=Teams)
    levels: ServiceLevels = field(default_factory=lambda: ServiceLevels(SlaSettings()))
    followups: FollowUps = field(
        default_factory=lambda: FollowUps(FollowUpSettings(), CalendarSettings())
    )
    kb: KbSettings = field(default_factory=KbSettings)
    synonyms: Synonyms = field(default_factory=Synonyms)
    triage: TriageSettings = field(default_factory=TriageSettings)

    @classmethod
    def build(
        cls,
        policy: DeskPolicy,
        *,
        teams: Teams,
        sla: SlaSettings,
        followups: FollowUpSettings,
        kb: KbSettings,
        triage: TriageSettings,
    ) -> Rules:
        """Assemble the rules; follow-ups count on the SLA's business calendar."""
        business = sla.calendars.get("business", CalendarSettings())
        return cls(
            policy,
            teams,
            ServiceLevels(sla),
            FollowUps(followups, business),
            kb,
            Synonyms.load(kb.synonyms),
            triage,
        )
