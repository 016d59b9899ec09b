import csv
import io
from html import unescape

import pytest

from keys.models import AccessKey
from tests.factories import make_access_key

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}
PAGE = "/iam/security_credentials"
LIMIT = "You can have a maximum of two access keys (active or inactive) at a time."


def key_url(access_key_id: str, action: str) -> str:
    return f"/iam/security_credentials/access-keys/{access_key_id}/{action}"


def create_plain(client):  # type: ignore[no-untyped-def]
    response = client.post("/iam/security_credentials/access-keys/create")
    assert response.status_code == 302
    access_key_id = response["Location"].split("/")[-2]
    return access_key_id, response


def test_the_page_lists_keys_in_a_collapsed_section(alice_client, alice):
    page = alice_client.get(PAGE)
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert "<h1>Your Security Credentials</h1>" in html
    assert '<details id="access-keys" class="accordion-section">' in html
    assert "Access keys (access key ID and secret access key)" in html
    assert "Root user access keys are not recommended." in html
    for column in (
        "Created",
        "Access Key ID",
        "Last Used",
        "Last Used Region",
        "Last Used Service",
        "Status",
        "Actions",
    ):
        assert f'<th scope="col">{column}</th>' in html
    assert "Account identifiers" in html and alice.account_id in html
    assert LIMIT not in html


def test_the_section_opens_when_asked(alice_client):
    html = alice_client.get(PAGE + "?expanded=access-keys").content.decode()
    assert '<details id="access-keys" class="accordion-section" open>' in html


def test_a_never_used_key_shows_na(alice_client, alice):
    key = make_access_key(alice).access_key
    html = alice_client.get(PAGE).content.decode()
    row = html.split(f'<tr id="key-{key.access_key_id}">')[1].split("</tr>")[0]
    assert row.count("N/A") == 3
    assert "Active" in row and "Make Inactive" in row and "Delete" in row


def test_create_plain_redirects_to_the_dialog_with_the_secret(alice_client, alice):
    access_key_id, _ = create_plain(alice_client)
    key = AccessKey.objects.get(pk=access_key_id, owner=alice)
    secret = key.secret_access_key()
    response = alice_client.get(key_url(access_key_id, "created"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    for text in (
        "Create Access Key",
        "Your access key (access key ID and secret access key) has been created successfully.",
        "Download your key file now, which contains your new access key ID and secret access "
        "key. If you do not download the key file now, you will not be able to retrieve your "
        "secret access key again.",
        "To help protect your security, store your secret access key securely and do not share it.",
        "Show Access Key",
        "Download Key File",
        "Download for AWS CLI",
        "Close",
        "Access Key ID:",
        "Secret Access Key:",
    ):
        assert text in html, text
    assert secret in html
    assert '<details id="access-keys" class="accordion-section" open>' in html
    shown = alice_client.get(key_url(access_key_id, "created") + "?show=1").content.decode()
    assert 'id="new-key-secret" class="key-reveal">' in shown  # no longer hidden
    assert "Hide Access Key" in shown


def test_the_form_sent_twice_makes_one_key_and_both_answers_show_it(alice_client, alice):
    """A second click on a page without JavaScript sends the form again: the page showed no
    key either time, so the second finds the first's key and goes to its dialog."""
    page = alice_client.get(PAGE).content.decode()
    assert '<input type="hidden" name="shown_keys" value="">' in page
    create = "/iam/security_credentials/access-keys/create"
    first = alice_client.post(create, {"shown_keys": ""})
    second = alice_client.post(create, {"shown_keys": ""})
    (key,) = AccessKey.objects.for_owner(alice)
    assert (
        first["Location"]
        == second["Location"]
        == (key_url(key.access_key_id, "created") + "#create-access-key-dialog")
    )
    dialog = alice_client.get(second["Location"]).content.decode()
    assert key.secret_access_key() in dialog


def test_a_create_from_an_out_of_date_page_makes_nothing(alice_client, alice):
    gone = make_access_key(alice).access_key.access_key_id
    page = alice_client.get(PAGE).content.decode()
    assert f'name="shown_keys" value="{gone}">' in page
    AccessKey.objects.filter(pk=gone).delete()  # elsewhere: another browser, the API
    for headers in ({}, HX):
        response = alice_client.post(
            "/iam/security_credentials/access-keys/create",
            {"shown_keys": gone},
            headers=headers,
            follow=True,
        )
        assert "No access key was created: your access keys changed" in response.content.decode()
    assert not AccessKey.objects.for_owner(alice).exists()


def test_create_with_htmx_answers_the_section_with_the_dialog(alice_client, alice):
    response = alice_client.post("/iam/security_credentials/access-keys/create", headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "<html" not in html and html.lstrip().startswith('<div id="access-keys-body"')
    key = AccessKey.objects.get(owner=alice)
    assert '<dialog id="create-access-key-dialog"' in html
    assert key.secret_access_key() in html


def test_the_key_files_download_inside_the_window(alice_client, alice):
    access_key_id, _ = create_plain(alice_client)
    secret = AccessKey.objects.get(pk=access_key_id).secret_access_key()
    for _ in range(2):  # any number of times while the window is open
        response = alice_client.get(key_url(access_key_id, "rootkey.csv"))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="rootkey.csv"'
        assert "no-store" in response["Cache-Control"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows == [["Access key ID", "Secret access key"], [access_key_id, secret]]
    response = alice_client.get(key_url(access_key_id, "cli.csv"))
    assert "no-store" in response["Cache-Control"]
    assert (
        response["Content-Disposition"] == 'attachment; filename="Alice-s-Account_accessKeys.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["User Name", "Access key ID", "Secret access key"],
        ["Alice-s-Account", access_key_id, secret],
    ]


def assert_window_closed(client, access_key_id: str, secret: str) -> None:  # type: ignore[no-untyped-def]
    for action in ("created", "rootkey.csv", "cli.csv"):
        response = client.get(key_url(access_key_id, action))
        assert response.status_code == 410, action
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert secret not in html
        assert "can no longer be retrieved" in html
        assert "create a new access key" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_close_ends_the_window(alice_client, htmx):
    access_key_id, _ = create_plain(alice_client)
    secret = AccessKey.objects.get(pk=access_key_id).secret_access_key()
    response = alice_client.post(key_url(access_key_id, "close"), headers=HX if htmx else {})
    if htmx:
        assert response.status_code == 200
        assert "<dialog" not in response.content.decode()
    else:
        assert response["Location"] == PAGE + "?expanded=access-keys#access-keys"
    assert_window_closed(alice_client, access_key_id, secret)
    assert secret not in alice_client.get(PAGE).content.decode()


@pytest.mark.parametrize("other_page", [PAGE, "/iam/home", "/iam/users"])
def test_loading_another_console_page_ends_the_window(alice_client, other_page):
    access_key_id, _ = create_plain(alice_client)
    secret = AccessKey.objects.get(pk=access_key_id).secret_access_key()
    assert alice_client.get(key_url(access_key_id, "rootkey.csv")).status_code == 200
    alice_client.get(other_page)
    assert_window_closed(alice_client, access_key_id, secret)


def test_the_window_ends_after_ten_minutes(alice_client, monkeypatch):
    import time

    access_key_id, _ = create_plain(alice_client)
    secret = AccessKey.objects.get(pk=access_key_id).secret_access_key()
    now = time.time()
    monkeypatch.setattr("keys.secret_window.time.time", lambda: now + 599)
    assert alice_client.get(key_url(access_key_id, "rootkey.csv")).status_code == 200
    monkeypatch.setattr("keys.secret_window.time.time", lambda: now + 601)
    assert_window_closed(alice_client, access_key_id, secret)


def test_the_window_belongs_to_the_session_that_made_the_key(alice_client, alice):
    from tests.conftest import _signed_in

    access_key_id, _ = create_plain(alice_client)
    secret = AccessKey.objects.get(pk=access_key_id).secret_access_key()
    assert_window_closed(_signed_in(alice), access_key_id, secret)


def test_at_two_keys_the_button_is_disabled_and_a_third_is_refused(alice_client, alice):
    make_access_key(alice)
    make_access_key(alice)
    html = alice_client.get(PAGE).content.decode()
    assert 'disabled aria-describedby="key-limit">Create New Access Key</button>' in html
    assert LIMIT in html
    for headers in ({}, HX):
        response = alice_client.post(
            "/iam/security_credentials/access-keys/create", headers=headers
        )
        assert response.status_code in (200, 302)
        assert AccessKey.objects.for_owner(alice).count() == 2
    assert LIMIT in alice_client.get(PAGE).content.decode()


def test_a_message_waits_in_the_session_not_a_cookie_and_shows_once(alice_client, alice):
    key = make_access_key(alice).access_key
    response = alice_client.post(key_url(key.access_key_id, "deactivate"))
    assert "messages" not in response.cookies  # the key ID never travels in a cookie
    said = f"Access key {key.access_key_id} is now inactive."
    assert said in alice_client.get(response["Location"]).content.decode()
    assert said not in alice_client.get(PAGE).content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_make_inactive_and_make_active(alice_client, alice, htmx):
    key = make_access_key(alice).access_key
    headers = HX if htmx else {}
    response = alice_client.post(key_url(key.access_key_id, "deactivate"), headers=headers)
    assert AccessKey.objects.get(pk=key.pk).status == "Inactive"
    html = (response.content if htmx else alice_client.get(response["Location"]).content).decode()
    assert f"Access key {key.access_key_id} is now inactive." in html
    assert "Make Active" in html
    if not htmx:
        assert response["Location"] == PAGE + "?expanded=access-keys#access-keys"
    alice_client.post(key_url(key.access_key_id, "activate"), headers=headers)
    assert AccessKey.objects.get(pk=key.pk).status == "Active"


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_asks_for_the_typed_key_id(alice_client, alice, htmx):
    key = make_access_key(alice).access_key
    headers = HX if htmx else {}
    html = alice_client.get(key_url(key.access_key_id, "delete"), headers=headers).content.decode()
    assert f"Are you sure you want to delete the access key {key.access_key_id}?" in html
    assert "This access key is Active." in html
    assert "never been used" in html
    response = alice_client.post(
        key_url(key.access_key_id, "delete"), {"confirmation": "AKIAWRONG"}, headers=headers
    )
    assert response.status_code == (200 if htmx else 400)
    assert "does not match" in response.content.decode()
    assert AccessKey.objects.filter(pk=key.pk).exists()
    response = alice_client.post(
        key_url(key.access_key_id, "delete"), {"confirmation": key.access_key_id}, headers=headers
    )
    assert response.status_code == (200 if htmx else 302)
    assert not AccessKey.objects.filter(pk=key.pk).exists()


def test_delete_shows_the_last_use_and_no_warning_when_inactive(alice_client, alice):
    from datetime import UTC, datetime

    from keys.services import access_key_deactivate, access_key_record_use

    key = make_access_key(alice).access_key
    access_key_record_use(
        access_key=key,
        region="eu-central-1",
        service="sts",
        at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    access_key_deactivate(access_key=key)
    html = alice_client.get(key_url(key.access_key_id, "delete")).content.decode()
    assert "Nov 2, 2026, 09:30 UTC" in html and "eu-central-1" in html and "sts" in html
    assert "This access key is Active." not in html


KEY_ACTIONS = ("close", "deactivate", "activate", "delete")  # the section's forms
ACTIONS = [
    ("get", "created"),
    ("get", "rootkey.csv"),
    ("get", "cli.csv"),
    ("post", "close"),
    ("post", "deactivate"),
    ("post", "activate"),
    ("get", "delete"),
    ("post", "delete"),
]


@pytest.mark.parametrize("method, action", ACTIONS)
def test_another_accounts_key_is_a_404_and_stays_as_it_was(mallory_client, alice, method, action):
    key = make_access_key(alice).access_key
    for headers in ({}, HX):
        response = getattr(mallory_client, method)(
            key_url(key.access_key_id, action), {"confirmation": key.access_key_id}, headers=headers
        )
        assert response.status_code == 404
    stored = AccessKey.objects.get(pk=key.pk)
    assert stored.status == "Active" and stored.owner == alice


@pytest.mark.parametrize("action", ["close", "deactivate", "activate", "delete"])
def test_every_key_post_refuses_a_missing_csrf_token(alice_client, alice, action):
    key = make_access_key(alice).access_key
    response = alice_client.post(
        key_url(key.access_key_id, action), {"confirmation": key.access_key_id}, with_csrf=False
    )
    assert response.status_code == 403
    assert AccessKey.objects.get(pk=key.pk).status == "Active"


def test_create_refuses_a_missing_csrf_token(alice_client, alice):
    response = alice_client.post("/iam/security_credentials/access-keys/create", with_csrf=False)
    assert response.status_code == 403
    assert not AccessKey.objects.exists()


def test_old_keys_are_flagged_for_rotation_and_ages_shown(alice_client, alice):
    from datetime import timedelta

    from django.utils import timezone

    old = make_access_key(alice).access_key
    AccessKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    young = make_access_key(alice).access_key
    html = alice_client.get(PAGE).content.decode()
    old_row = html.split(f'<tr id="key-{old.access_key_id}">')[1].split("</tr>")[0]
    young_row = html.split(f'<tr id="key-{young.access_key_id}">')[1].split("</tr>")[0]
    assert "91 days old" in old_row and "Rotate: older than 90 days" in old_row
    assert "0 days old" in young_row and "Rotate" not in young_row


def test_last_use_shows_the_exact_time_and_how_long_ago(alice_client, alice):
    from datetime import timedelta

    from django.utils import timezone

    from keys.services import access_key_record_use

    key = make_access_key(alice).access_key
    access_key_record_use(
        access_key=key, region="us-west-2", service="iam", at=timezone.now() - timedelta(minutes=3)
    )
    page = alice_client.get(PAGE).content
    row = page.decode().split(f'<tr id="key-{key.access_key_id}">')[1].split("</tr>")[0]
    text = unescape(row)
    assert "(3\xa0minutes ago)" in text or "(2\xa0minutes ago)" in text
    assert "us-west-2" in row and "iam" in row and "N/A" not in row
    # The no-break space as a reference: the page stays ASCII, which Python builds and
    # encodes whole, not a character at a time (console/jinja2.py's timesince).
    assert page.isascii()


def test_htmx_actions_announce_what_happened_out_of_band(alice_client, alice):
    key = make_access_key(alice).access_key
    html = alice_client.post(key_url(key.access_key_id, "deactivate"), headers=HX).content.decode()
    assert 'id="flash" class="flash" role="status" aria-live="polite" hx-swap-oob="true">' in html
    assert f"Access key {key.access_key_id} is now inactive." in html


@pytest.mark.parametrize("method, action", [a for a in ACTIONS if a[1] in KEY_ACTIONS])
def test_an_action_on_a_key_deleted_elsewhere_says_so_over_the_list_as_it_is(
    alice_client, alice, method, action
):
    kept = make_access_key(alice).access_key
    gone = make_access_key(alice).access_key.access_key_id
    AccessKey.objects.filter(pk=gone).delete()  # in another browser, or through the API
    for htmx in (False, True):
        response = getattr(alice_client, method)(
            key_url(gone, action), {"confirmation": gone}, headers=dict(HX) if htmx else {}
        )
        assert response.status_code == 404
        html = response.content.decode()
        assert "That access key was not found: it may have been deleted elsewhere" in html
        assert f'<tr id="key-{kept.access_key_id}">' in html
        assert f'<tr id="key-{gone}">' not in html
        assert ("<h1>Your Security Credentials</h1>" in html) != htmx  # the page, or the section
        assert "no-store" in response["Cache-Control"]


def test_an_htmx_request_that_is_redirected_moves_the_whole_page(alice_client, alice):
    """Signed out in another tab: the section must not swap in a sign-in page."""
    key = make_access_key(alice).access_key
    alice_client.logout()
    plain = alice_client.post(key_url(key.access_key_id, "deactivate"))
    assert plain.status_code == 302 and plain["Location"].startswith("/signin")
    htmx = alice_client.post(key_url(key.access_key_id, "deactivate"), headers=HX)
    assert htmx.status_code == 204 and "Location" not in htmx
    assert htmx["HX-Redirect"] == plain["Location"]
    assert AccessKey.objects.get(pk=key.pk).status == "Active"


def test_an_htmx_request_refused_for_its_csrf_token_reloads_the_page(alice_client, alice):
    """A token from before another sign-in: the page loads again, with a fresh one."""
    key = make_access_key(alice).access_key
    response = alice_client.post(
        key_url(key.access_key_id, "deactivate"), headers=HX, with_csrf=False
    )
    assert response.status_code == 403 and response["HX-Refresh"] == "true"
    assert AccessKey.objects.get(pk=key.pk).status == "Active"
