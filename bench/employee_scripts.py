"""What the intake benchmark's employees say: a problem, and every answer they may be asked for.

Each script mixes a symptom with a random share of details given up front (since when, what
was tried, who is affected, how urgent) the way people type them, seeded so every run says
the same things.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desk.directory import PersonEntry  # noqa: E402

DOMAIN = "bench.example.com"

# (what goes wrong, the device or application when asked)
_SYMPTOMS = (
    ("my vpn keeps dropping", "VPN"),
    ("the vpn will not connect", "GlobalProtect VPN"),
    ("outlook will not start", "Outlook"),
    ("outlook keeps asking for my password", "Outlook"),
    ("teams crashes when I share my screen", "Teams"),
    ("nobody hears me in teams meetings", "headset"),
    ("the printer at home says it is offline", "printer"),
    ("onedrive is not syncing my files", "OneDrive"),
    ("the MFA code on my phone is rejected when I sign in", "phone"),
    ("my laptop fan is loud and everything is slow", "work laptop"),
    ("the disk on my laptop is full", "work laptop"),
    ("home wifi keeps disconnecting from the work laptop", "Wi-Fi"),
    ("my password expired and now I am locked out", "work laptop"),
    ("the dock does not detect my second monitor", "dock"),
    ("I got a suspicious email asking me to log in", "Outlook"),
    ("windows update is stuck at 30 percent", "work laptop"),
    ("my calendar does not sync to my phone", "phone"),
    ("the laptop asks for a bitlocker recovery key", "work laptop"),
    ("excel freezes when I open large files", "Excel"),
    ("I cannot open the shared drive", "network drive"),
    ("zoom audio is choppy", "Zoom"),
    ("my webcam shows a black picture", "webcam"),
    ("salesforce shows an error when I save an opportunity", "Salesforce"),
    ("I lost my work phone on the train", "phone"),
)
_VAGUE = ("hi", "hello, I need some help", "something is broken", "can you help me?")
_SINCE = ("this morning", "yesterday", "2 days ago", "Monday", "last week", "an hour ago")
_SINCE_ANSWERS = (*_SINCE, "not sure")
_TRIED_CLAUSES = (
    "already rebooted",
    "tried restarting it",
    "already tried reinstalling",
    "tried signing out and back in",
)
_TRIED_ANSWERS = ("nothing", "restarted the laptop", "logged out and in again", "reinstalled it")
# Phrases the bot reads as impact or urgency when they come in the first message.
_IMPACT_CLAUSES = {
    "just_me": "just me",
    "team": "my whole team is affected",
    "department": "the whole department has it",
    "company": "the whole company is affected",
}
_URGENCY_CLAUSES = {
    "normal": "no rush",
    "difficult": "it is slowing me down",
    "blocked": "I cannot work at all",
    "stopped": "customers are affected",
}
# Pressed buttons: most problems are one person's and make work harder, few stop the business.
_IMPACTS = (("just_me", 60), ("team", 25), ("department", 10), ("company", 5))
_URGENCIES = (("normal", 20), ("difficult", 45), ("blocked", 30), ("stopped", 5))
_NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jon", "Kai")
_SURNAMES = ("Silva", "Berg", "Moreau", "Patel", "Kaya", "Adeyemi", "Lund", "Sato", "Ruiz")
_DEPARTMENTS = ("Sales", "Finance", "Engineering", "Marketing", "HR", "Legal", "Operations")
_ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "UTC")

# Questions the intake asks in words (no buttons), by the start of the English template,
# with the answer each script holds for them.
QUESTIONS = (
    ("Since when", "since"),
    ("Which device", "device"),
    ("What have you tried", "tried"),
    ("What is going wrong", "symptom"),
    ("Could you say a little more", "symptom"),
    ("Tell me what is wrong", "symptom"),  # the greeting, after a bare "hi"
)


@dataclass(frozen=True)
class Script:
    """One employee's problem: the first message and every answer they may be asked for."""

    email: str
    first: str
    answers: dict[str, str]
    impact: str
    urgency: str


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    values = [value for value, _ in choices]
    return rng.choices(values, weights=[weight for _, weight in choices])[0]


def make_script(rng: random.Random, email: str) -> Script:
    """A problem report with a random mix of details given up front, and the answers."""
    symptom, device = rng.choice(_SYMPTOMS)
    impact, urgency = _weighted(rng, _IMPACTS), _weighted(rng, _URGENCIES)
    since, tried = rng.choice(_SINCE), rng.choice(_TRIED_CLAUSES)
    if rng.random() < 0.08:
        first = rng.choice(_VAGUE)
    else:
        parts = [symptom]
        parts += [f"since {since}"] if rng.random() < 0.6 else []
        parts += [tried] if rng.random() < 0.5 else []
        parts += [_IMPACT_CLAUSES[impact]] if rng.random() < 0.25 else []
        parts += [_URGENCY_CLAUSES[urgency]] if rng.random() < 0.2 else []
        first = ", ".join(parts)
    answers = {
        "symptom": symptom,
        "since": rng.choice(_SINCE_ANSWERS),
        "device": device,
        "tried": rng.choice(_TRIED_ANSWERS),
    }
    return Script(email, first, answers, impact, urgency)


def make_entry(rng: random.Random, email: str) -> PersonEntry:
    name = f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"
    department, zone = rng.choice(_DEPARTMENTS), rng.choice(_ZONES)
    return PersonEntry(email=email, name=name, department=department, time_zone=zone)


def employees(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{number:05d}@{DOMAIN}" for number in range(count)]
