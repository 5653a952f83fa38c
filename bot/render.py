"""Turns a flow's replies into messages: Jinja2 templates per language and platform look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from flows.messages import Outbound, OutButton, Reply

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
PLAIN = "plain"


def build_environment(root: Path = TEMPLATES) -> Environment:
    """Build the one Jinja2 environment; HTML templates (Telegram) are escaped."""
    environment = Environment(
        loader=FileSystemLoader(root),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["local"] = _local_time
    environment.filters["duration"] = _duration
    return environment


def _duration(span: timedelta) -> str:
    """Write a span as people read it: 45m, 3h 05m, 2d 4h."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def _local_time(moment: datetime | str | None, time_zone: str, style: str = "%d %b %H:%M") -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        # Queued messages carry times as ISO text.
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(time_zone)).strftime(style)


class Renderer:
    """Renders replies for one platform look ("plain", later "slack" and "telegram")."""

    def __init__(self, look: str = PLAIN, root: Path = TEMPLATES) -> None:
        self.look = look
        self.root = root
        self.environment = build_environment(root)
        # Templates are read once per process: choosing among the candidate files costs a
        # failed file lookup per candidate, which would otherwise be paid on every reply.
        self._templates: dict[tuple[str, str], Template] = {}
        self._translators: dict[str, Callable[..., str]] = {}

    def render(self, reply: Reply, language: str, time_zone: str = "UTC") -> Outbound:
        """Render one reply in the person's language, falling back to English."""
        t = self.translator(language)
        template = self.template(reply.template, language)
        text = template.render(t=t, tz=time_zone, **reply.context).strip()
        buttons = tuple(
            OutButton(
                label=t(button.label, **button.label_args),
                action=button.action,
                value=button.value,
            )
            for button in reply.buttons
        )
        return Outbound(text=text, buttons=buttons)

    def template(self, name: str, language: str) -> Template:
        """Return the template of a reply in the language and look, or their fallbacks."""
        template = self._templates.get((name, language))
        if template is None:
            names = [
                f"{lang}/{look}/{name}{suffix}"
                for lang in dict.fromkeys((language, FALLBACK_LANGUAGE))
                for look in dict.fromkeys((self.look, PLAIN))
                for suffix in (".html.j2", ".j2")
            ]
            template = self.environment.select_template(names)
            self._templates[(name, language)] = template
        return template

    def translator(self, language: str) -> Callable[..., str]:
        """Return a function that looks a label up in the language's catalogue."""
        translator = self._translators.get(language)
        if translator is None:
            translator = self._translators[language] = self._make_translator(language)
        return translator

    def _make_translator(self, language: str) -> Callable[..., str]:
        labels = _labels(self.root, language)
        fallback = _labels(self.root, FALLBACK_LANGUAGE)

        def t(key: str, **args: Any) -> str:
            text = labels.get(key) or fallback.get(key)
            if text is None:
                raise KeyError(f"no label '{key}' for language '{language}'")
            return text.format(**args) if args else text

        return t


@cache
def _labels(root: Path, language: str) -> dict[str, str]:
    path = root / language / "labels.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): str(value) for key, value in _flatten(data).items()}


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
