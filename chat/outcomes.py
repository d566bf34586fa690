"""What a handler answers, and the small pieces every handler builds it from.

``EventOutcome`` is final: the reply for the service and the actions to
send. The history events answer some events with a step first
(``chat.history_events``): what the shell must write or read before the
outcome can be decided.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from chat.messages import Ack, EventId, encode
from chat.refusals import Refusal, refusal_reply
from chat.rooms import rooms_state
from codec.actions import Action
from codec.datatype import DataType
from codec.events import ConnectionContext
from codec.replies import ServiceReply, UserEventReply


class EventOutcome(msgspec.Struct, frozen=True):
    """A handler's answer: the reply (None for none) and the actions to send."""

    reply: ServiceReply | None = None
    actions: tuple[Action, ...] = ()


def refuse(name: str, code: Refusal, message: str, event_id: EventId | UnsetType = UNSET) -> EventOutcome:
    """The outcome that tells the sender why ``name`` was refused; it sends nothing."""
    return EventOutcome(refusal_reply(name, code, message, event_id))


def ack_reply(ack: Ack, rooms: tuple[str, ...] | None = None) -> UserEventReply:
    """The sender's ack, recording ``rooms`` in the connection's states when they changed."""
    states = rooms_state(rooms) if rooms is not None else {}
    return UserEventReply(encode(ack), DataType.JSON, states)


def guest_id(connection_id: str) -> str:
    """A stable user id for an anonymous connection (the same on a retried connect)."""
    return "guest-" + connection_id[:8]


def user_of(ctx: ConnectionContext) -> str:
    """Who sent the event: its user id, or the guest id of its connection."""
    return ctx.user_id or guest_id(ctx.connection_id)
