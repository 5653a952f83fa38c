"""The console adapter: one person's conversation in a terminal, or through a pipe."""

from __future__ import annotations

import asyncio
import logging
from typing import TextIO

from bot.service import Helpdesk
from flows.messages import Inbound, Outbound, OutButton

logger = logging.getLogger(__name__)

PLATFORM = "console"


class ConsoleAdapter:
    """Reads one message per line and prints the replies, buttons numbered.

    A line that is a button's number, or its label, presses that button.
    """

    def __init__(
        self, helpdesk: Helpdesk, email: str, stdin: TextIO, stdout: TextIO, *, interactive: bool
    ) -> None:
        self.helpdesk = helpdesk
        self.email = email.strip().lower()
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self.buttons: tuple[OutButton, ...] = ()

    async def run(self, poll_seconds: float = 1.0) -> None:
        """Chat until the input ends (Ctrl-D) or the person types 'exit'.

        Messages queued for the person (a claim, a reply, a request to confirm a fix) are shown
        when the chat opens, after each answer, and, in a terminal, as they arrive.
        """
        if self.interactive:
            self._write(f"Helpdesk console, signed in as {self.email}. Type 'exit' to leave.\n")
        await self.show_deliveries()
        poller = asyncio.create_task(self._poll(poll_seconds)) if self.interactive else None
        try:
            await self._converse()
        finally:
            if poller is not None:
                poller.cancel()

    async def _converse(self) -> None:
        while True:
            line = await self._read_line()
            if line is None or (self.interactive and line.strip().lower() in {"exit", "quit"}):
                return
            for outbound in await self.send(self.to_inbound(line.rstrip("\r\n"))):
                self._write(self.format(outbound))
            await self.show_deliveries()

    async def show_deliveries(self) -> int:
        """Print what was queued for this person; return how many messages there were."""
        try:
            outbounds = await asyncio.to_thread(self.helpdesk.deliveries, PLATFORM, self.email)
        except Exception:
            logger.exception("Console delivery failed")
            return 0
        for outbound in outbounds:
            self._write(self.format(outbound))
        return len(outbounds)

    async def _poll(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if await self.show_deliveries():
                self._write("you> ")

    async def send(self, inbound: Inbound) -> list[Outbound]:
        """Hand one message to the bot off the event loop; never let an error end the chat."""
        try:
            return await asyncio.to_thread(self.helpdesk.handle, inbound)
        except Exception:
            logger.exception("Console message failed")
            return [Outbound(text="Sorry, something went wrong on my side and nothing was saved.")]

    def to_inbound(self, line: str) -> Inbound:
        """Turn a typed line into a message, or into a button press when it names a button."""
        button = self._pressed(line.strip())
        chat = self.email
        if button is None:
            return Inbound(platform=PLATFORM, user_id=self.email, chat_id=chat, text=line)
        return Inbound(
            platform=PLATFORM,
            user_id=self.email,
            chat_id=chat,
            text=button.label,
            action=button.action,
            value=button.value,
        )

    def format(self, outbound: Outbound) -> str:
        """Render a reply as text, with its buttons numbered on the lines below."""
        self.buttons = outbound.buttons
        lines = [outbound.text]
        lines += [
            f"  [{index}] {button.label}" for index, button in enumerate(outbound.buttons, 1)
        ]
        return "\n".join(lines) + "\n\n"

    def _pressed(self, choice: str) -> OutButton | None:
        if choice.isdigit() and 1 <= int(choice) <= len(self.buttons):
            return self.buttons[int(choice) - 1]
        for button in self.buttons:
            if choice.lower() == button.label.lower():
                return button
        return None

    async def _read_line(self) -> str | None:
        if self.interactive:
            self._write("you> ")
        line = await asyncio.to_thread(self.stdin.readline)
        return line or None

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
