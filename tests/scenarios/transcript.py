"""Drives the console adapter in-process: lines in, the printed transcript out."""

from __future__ import annotations

import asyncio
import io

from bot.adapters.console import ConsoleAdapter
from bot.service import Helpdesk


def chat(helpdesk: Helpdesk, email: str, *lines: str) -> str:
    """Send each line as the person and return everything the console printed."""
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    stdout = io.StringIO()
    adapter = ConsoleAdapter(helpdesk, email, stdin, stdout, interactive=False)
    asyncio.run(adapter.run())
    return stdout.getvalue()
