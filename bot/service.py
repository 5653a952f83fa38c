"""Answers one message in one transaction: who is asking, masking, conversation state, replies."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Config
from bot.render import Renderer
from desk.clock import Clock
from desk.directory import Directory
from desk.errors import UnknownPerson
from desk.masking import mask_credentials
from desk.work import Workbench
from flows.conversation import Outcome, State, Turn, say
from flows.messages import Button, Inbound, Message, Outbound, Reply
from flows.router import respond
from storage.database import unit_of_work
from storage.models import OutboxMessage, Person
from storage.stores import ConversationStore, OutboxStore, SavedConversation

logger = logging.getLogger(__name__)


class Helpdesk:
    """The platform-neutral bot: every adapter hands it messages and shows what it returns."""

    def __init__(self, engine: Engine, config: Config, clock: Clock, renderer: Renderer) -> None:
        self.engine = engine
        self.config = config
        self.rules = config.rules()
        self.clock = clock
        self.renderer = renderer
        self.timeout = timedelta(minutes=config.chat.conversation_timeout_minutes)

    def deliveries(self, platform: str, user_id: str) -> list[Outbound]:
        """Take the queued messages for a person on a channel, rendered, marking them sent."""
        with unit_of_work(self.engine) as session:
            try:
                person = Directory(session, self.clock).resolve(platform, user_id)
            except UnknownPerson:
                return []
            now = self.clock.now()
            rows = OutboxStore(session).list_pending(platform, person.id or 0, now)
            rendered = []
            for row in rows:
                rendered.append(self._render_queued(row, person))
                row.status = "sent"
                row.sent_at = now
                row.attempts += 1
            return rendered

    def _render_queued(self, row: OutboxMessage, person: Person) -> Outbound:
        payload = row.payload
        buttons = tuple(Button(**button) for button in payload.get("buttons", []))
        reply = Reply(template=row.template, context=payload.get("context", {}), buttons=buttons)
        return self.renderer.render(reply, person.language, person.time_zone)

    def handle(self, inbound: Inbound) -> list[Outbound]:
        """Answer one inbound message; all it changes is committed together, or not at all."""
        with unit_of_work(self.engine) as session:
            directory = Directory(session, self.clock)
            try:
                person, saved = directory.resolve_in_chat(
                    inbound.platform, inbound.user_id, inbound.chat_key
                )
            except UnknownPerson:
                logger.info("Unknown sender platform=%s", inbound.platform)
                identity = f"{inbound.platform} user {inbound.user_id}"
                reply = say("common/unknown_person", identity=identity)
                return [self.renderer.render(reply, self.config.chat.language)]
            replies = self._answer(session, person, saved, inbound)
            return [self.renderer.render(r, person.language, person.time_zone) for r in replies]

    def _answer(
        self, session: Session, person: Person, saved: SavedConversation | None, inbound: Inbound
    ) -> list[Reply]:
        policy = self.config.chat
        text = inbound.text.strip()
        if not text and not inbound.action:
            return [say("common/empty")]
        if len(text) > policy.max_message_length:
            return [say("common/too_long", length=len(text), limit=policy.max_message_length)]

        masked = mask_credentials(text)
        message = Message(
            person_id=person.id or 0,
            text=masked.text,
            action=inbound.action,
            value=inbound.value,
            masked=masked.kinds,
        )
        replies: list[Reply] = []
        if masked.kinds:
            logger.info("Credentials masked kinds=%s", ",".join(masked.kinds))
            replies.append(say("common/masked", kinds=masked.kinds))

        state, expired = self._current_state(saved)
        if expired:
            replies.append(say("common/expired", minutes=policy.conversation_timeout_minutes))

        bench = Workbench(session, self.rules, self.clock)
        turn = Turn(
            person=person, message=message, bench=bench, policy=policy, now=self.clock.now()
        )
        outcome = respond(state, turn)
        self._save_state(ConversationStore(session), saved, person, inbound.chat_key, outcome)
        return replies + outcome.replies

    def _current_state(self, saved: SavedConversation | None) -> tuple[State | None, bool]:
        """The conversation under way, and whether an idle one has just expired."""
        if saved is None:
            return None, False
        if saved.expires_at <= self.clock.now():
            return None, True
        return State(flow=saved.flow, step=saved.step, data=dict(saved.data)), False

    def _save_state(
        self,
        conversations: ConversationStore,
        saved: SavedConversation | None,
        person: Person,
        chat_key: str,
        outcome: Outcome,
    ) -> None:
        """Keep where the conversation stands; an expired row is reused or removed."""
        if outcome.state is None:
            if saved is not None:
                conversations.remove(saved)
            return
        now = self.clock.now()
        conversations.save(
            person.id or 0,
            chat_key,
            saved,
            flow=outcome.state.flow,
            step=outcome.state.step,
            data=dict(outcome.state.data),
            now=now,
            expires_at=now + self.timeout,
        )
