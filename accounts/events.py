"""The event history: who did what to an account, when, from where and through which channel."""

from dataclasses import dataclass

from django.http import HttpRequest

from .models import Event, RootUser

Action = Event.Action
Channel = Event.Channel


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
        return cls(
            channel=channel,
            source_ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
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
