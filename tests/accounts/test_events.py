import csv
import io

import pytest

from accounts.models import Event
from tests.conftest import CsrfClient
from tests.factories import make_access_key

pytestmark = pytest.mark.django_db
KEYS = "/iam/security_credentials/access-keys"


def test_the_console_records_every_step_of_the_lifecycle(alice, password):
    client = CsrfClient(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="pytest-browser/1.0")
    client.post("/signin", {"email": alice.email})
    client.post("/signin/password", {"password": "wrong"})
    client.post("/signin/password", {"password": password})
    key_id = client.post(f"{KEYS}/create")["Location"].split("/")[-2]
    client.post(f"{KEYS}/create")
    client.post(f"{KEYS}/create")  # refused: the quota
    client.post(f"{KEYS}/{key_id}/deactivate")
    client.post(f"{KEYS}/{key_id}/activate")
    client.post(f"{KEYS}/{key_id}/delete", {"confirmation": key_id})
    client.post("/signout")
    events = list(Event.objects.order_by("id"))
    assert [e.action for e in events] == [
        "SignInFailure",
        "SignIn",
        "CreateAccessKey",
        "CreateAccessKey",
        "AccessKeyQuotaRefused",
        "DeactivateAccessKey",
        "ActivateAccessKey",
        "DeleteAccessKey",
        "SignOut",
    ]
    for event in events:
        assert event.account_id == alice.pk
        assert event.channel == "console"
        assert event.source_ip == "192.0.2.10"
        assert event.user_agent == "pytest-browser/1.0"
    assert events[2].access_key_id == key_id and events[7].access_key_id == key_id


def test_events_are_never_updated_or_deleted(alice):
    make_access_key(alice)
    event = Event.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        Event.objects.all().update(action="SignIn")
    with pytest.raises(PermissionError):
        Event.objects.all().delete()
    assert Event.objects.get().action == "CreateAccessKey"


def test_the_history_page_shows_only_the_accounts_events_newest_first(alice_client, alice, mallory):
    first = make_access_key(alice).access_key
    second = make_access_key(alice).access_key
    hidden = make_access_key(mallory).access_key
    html = alice_client.get("/iam/event_history").content.decode()
    assert "<h1>Event history</h1>" in html
    assert html.index(second.access_key_id) < html.index(first.access_key_id)
    assert hidden.access_key_id not in html


def test_the_history_is_paginated(alice_client, alice):
    from accounts.events import COMMAND_CONTEXT, event_record

    for _ in range(120):
        event_record(action="SignIn", context=COMMAND_CONTEXT, account=alice)
    html = alice_client.get("/iam/event_history?page=3").content.decode()
    assert "Page 3 of 3" in html and "Newer events" in html
    assert alice_client.get("/iam/event_history?page=999").status_code == 200


def test_the_history_downloads_as_csv_without_secrets(alice_client, alice):
    new_key = make_access_key(alice)
    response = alice_client.get("/iam/event_history.csv")
    assert response["Content-Disposition"] == 'attachment; filename="event_history.csv"'
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Event time", "Event name", "Channel"]
    assert rows[1][1:4] == ["CreateAccessKey", "command", new_key.access_key.access_key_id]
    assert new_key.secret_access_key not in body


def test_a_formula_in_the_user_agent_is_neutralised_in_the_csv(alice, password):
    client = CsrfClient(HTTP_USER_AGENT='=HYPERLINK("http://evil")')
    client.post("/signin", {"email": alice.email})
    client.post("/signin/password", {"password": password})
    body = b"".join(client.get("/iam/event_history.csv").streaming_content).decode()
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a trusted proxy: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),  # forged left part
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_the_client_address_is_believed_only_from_trusted_proxies(
    settings, remote, forwarded, expected
):
    from django.test import RequestFactory

    from accounts.events import client_address

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
