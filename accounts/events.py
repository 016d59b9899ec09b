"""The event history: who did what to an account, when, from where and through which channel."""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from console.proxies import is_trusted_proxy

from .models import Event, RootUser

Action = Event.Action
Channel = Event.Channel


def client_address(request: HttpRequest) -> str | None:
    """The client's address. Behind trusted proxies (DJANGO_TRUSTED_PROXIES), the nearest
    X-Forwarded-For entry that is not one of them; anything further left is the client's
    own claim and could be forged, so it is never believed."""
    return client_address_of(request.META)


def client_address_of(environ: Mapping[str, Any]) -> str | None:
    """:func:`client_address` from a WSGI environ (what ``request.META`` is)."""
    address = environ.get("REMOTE_ADDR") or None
    if not address or not is_trusted_proxy(address):
        return address
    forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([a for a in forwarded if a]):
        if not is_trusted_proxy(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
    return address


@dataclass(frozen=True)
class EventContext:
    """Where a change came from: the channel, the client's address and its user agent."""

    channel: str
    source_ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(
        cls, request: HttpRequest, *, channel: str = Channel.CONSOLE
    ) -> "EventContext":
        return cls.from_environ(request.META, channel=channel)

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, Any], *, channel: str = Channel.CONSOLE
    ) -> "EventContext":
        return cls(
            channel=channel,
            source_ip=client_address_of(environ),
            user_agent=environ.get("HTTP_USER_AGENT", "")[:512],
        )


COMMAND_CONTEXT = EventContext(channel=Channel.COMMAND)


def event_record(
    *,
    action: str,
    context: EventContext | None,
    account: RootUser | None = None,
    account_id: int | None = None,
    email: str = "",
    access_key_id: str = "",
) -> Event:
    context = context or COMMAND_CONTEXT
    return Event.objects.create(
        action=action,
        channel=context.channel,
        account_id=account.pk if account else account_id,
        email=(email or (account.email if account else ""))[:254],
        access_key_id=access_key_id,
        source_ip=context.source_ip,
        user_agent=context.user_agent[:512],
    )
