"""What a person does in the console, one step at a time.

Elements are found by role, label and text, with DESIGN.md's exact labels, the way a person
(or a screen reader) finds them; nothing here knows a CSS class. Every step works the same
with and without JavaScript, since the console's plain forms and htmx share their labels.
"""

import csv
import io
from pathlib import Path

from playwright.sync_api import Download, Locator, Page, expect

from tests.factories import PASSWORD

AUTH_FAILED = "Your authentication information is incorrect. Please try again."
WARNING = (
    "You are accessing the security credentials page for your AWS account. "
    "The account credentials provide unlimited access to your AWS resources."
)
DONT_SHOW_AGAIN = "Don't show me this message again"
ACCESS_KEYS = "Access keys (access key ID and secret access key)"
COLUMNS = [
    "Created",
    "Access Key ID",
    "Last Used",
    "Last Used Region",
    "Last Used Service",
    "Status",
    "Actions",
]
KEY_LIMIT = "You can have a maximum of two access keys (active or inactive) at a time."
CREATED = "Your access key (access key ID and secret access key) has been created successfully."
DOWNLOAD_NOW = (
    "Download your key file now, which contains your new access key ID and secret access key. "
    "If you do not download the key file now, you will not be able to retrieve your secret "
    "access key again."
)
PROTECT = (
    "To help protect your security, store your secret access key securely and do not share it."
)
CONFIRM_DELETE_LABEL = "To confirm deletion, enter the access key ID in the text input field."
SECRET_GONE_HEADING = "This secret access key can no longer be retrieved"

CREDENTIALS_PATH = "/iam/security_credentials"


def button(scope: Page | Locator, name: str) -> Locator:
    return scope.get_by_role("button", name=name, exact=True)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Both steps of the sign-in, as AWS has them: the email address, then the password."""
    page.goto("/signin")
    page.get_by_label("Root user email address", exact=True).fill(email)
    button(page, "Next").click()
    page.get_by_label("Password", exact=True).fill(password)
    button(page, "Sign in").click()


def account_menu(page: Page, account_name: str) -> Locator:
    """The account name in the navigation bar, which opens the account menu."""
    return page.get_by_role("banner").get_by_text(account_name, exact=True)


def open_my_security_credentials(page: Page, account_name: str) -> None:
    account_menu(page, account_name).click()
    page.get_by_role("link", name="My Security Credentials", exact=True).click()


def continue_past_warning(page: Page, *, dont_show_again: bool = False) -> None:
    expect(page.get_by_text(WARNING, exact=True)).to_be_visible()
    if dont_show_again:
        page.get_by_label(DONT_SHOW_AGAIN, exact=True).check()
    button(page, "Continue to Security Credentials").click()
    expect(page.get_by_role("heading", name="Your Security Credentials", level=1)).to_be_visible()


def sign_in_to_access_keys(page: Page, email: str, account_name: str) -> None:
    """Sign in, go to My Security Credentials past the warning, and open the access keys."""
    sign_in(page, email)
    expect(page.get_by_role("heading", name="IAM Dashboard", level=1)).to_be_visible()
    open_my_security_credentials(page, account_name)
    continue_past_warning(page)
    expand_access_keys(page)


def open_access_keys(page: Page) -> None:
    """Go straight to Your Security Credentials and open the access keys (signed in)."""
    page.goto(CREDENTIALS_PATH)
    expand_access_keys(page)


def expand_access_keys(page: Page) -> None:
    # With JavaScript, htmx must have set the page up before a click means what it should.
    page.wait_for_load_state()
    expect(page.get_by_role("columnheader", name="Access Key ID", exact=True)).to_be_hidden()
    page.get_by_text(ACCESS_KEYS, exact=True).click()
    expect_access_keys_open(page)


def expect_access_keys_open(page: Page) -> None:
    expect(page.get_by_role("columnheader")).to_have_text(COLUMNS)


def key_row(page: Page, access_key_id: str) -> Locator:
    return page.get_by_role("row").filter(has_text=access_key_id)


def expect_key_row(page: Page, access_key_id: str, *, status: str) -> None:
    """The key's row: its ID, never used ("N/A" three times), its status and its actions."""
    toggle = "Make Inactive" if status == "Active" else "Make Active"
    cells = key_row(page, access_key_id).get_by_role("cell")
    expect(cells.nth(1)).to_have_text(access_key_id)
    expect(cells.nth(2)).to_have_text("N/A")
    expect(cells.nth(3)).to_have_text("N/A")
    expect(cells.nth(4)).to_have_text("N/A")
    expect(cells.nth(5)).to_have_text(status)
    expect(button(cells.nth(6), toggle)).to_be_visible()
    expect(button(cells.nth(6), "Delete")).to_be_visible()


def create_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Create Access Key", exact=True)


def delete_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Delete Access Key", exact=True)


def modal(page: Page, dialog: Locator) -> Locator:
    """The dialog, only while it is modal (the rest of the page inert behind it). With
    JavaScript it becomes modal once htmx has settled the swap, a moment after it shows."""
    return dialog.and_(page.locator("dialog:modal"))


def create_access_key(page: Page) -> Locator:
    """Create New Access Key; returns the Create Access Key dialog, checked for its texts."""
    button(page, "Create New Access Key").click()
    dialog = create_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text(CREATED, exact=True)).to_be_visible()
    expect(dialog.get_by_text(DOWNLOAD_NOW, exact=True)).to_be_visible()
    expect(dialog.get_by_text(PROTECT, exact=True)).to_be_visible()
    for name in ("Show Access Key", "Download Key File", "Download for AWS CLI", "Close"):
        expect(button(dialog, name)).to_be_visible()
    return dialog


def show_access_key(page: Page) -> tuple[str, str]:
    """Show Access Key in the open dialog; returns the access key ID and the secret shown."""
    dialog = create_dialog(page)
    expect(dialog.get_by_text("Secret Access Key:", exact=True)).to_be_hidden()
    button(dialog, "Show Access Key").click()
    dialog = create_dialog(page)  # without JavaScript this is a new page
    expect(dialog.get_by_role("term")).to_have_text(["Access Key ID:", "Secret Access Key:"])
    values = dialog.get_by_role("definition")
    expect(values).to_have_count(2)
    access_key_id, secret = (text.strip() for text in values.all_inner_texts())
    return access_key_id, secret


def download(page: Page, scope: Locator, name: str) -> tuple[str, list[list[str]]]:
    """Click a download button; returns the suggested file name and the CSV's rows."""
    with page.expect_download() as info:
        button(scope, name).click()
    file: Download = info.value
    assert file.failure() is None
    rows = list(csv.reader(io.StringIO(Path(file.path()).read_text(encoding="utf-8"))))
    return file.suggested_filename, rows


def created_url(access_key_id: str) -> str:
    return f"{CREDENTIALS_PATH}/access-keys/{access_key_id}/created"


def download_urls(access_key_id: str) -> list[str]:
    base = f"{CREDENTIALS_PATH}/access-keys/{access_key_id}"
    return [f"{base}/rootkey.csv", f"{base}/cli.csv"]


def expect_secret_gone(page: Page, access_key_id: str, secret: str) -> None:
    """The dialog and both downloads answer 410 with the explanation, never the secret."""
    for url in [created_url(access_key_id), *download_urls(access_key_id)]:
        response = page.request.get(url, max_redirects=0)
        body = response.text()
        assert response.status == 410, (url, response.status)
        assert SECRET_GONE_HEADING in body
        assert "create a new access key" in body
        assert secret not in body
        assert "no-store" in response.headers["cache-control"]


# ----------------------------------------------------------------------------- MFA

MFA_SECTION = "Multi-factor authentication (MFA)"
MFA_HEADING = "Multi-factor authentication"
TOTP_STEP_SECONDS = 30


def sign_out(page: Page, account_name: str) -> None:
    account_menu(page, account_name).click()
    button(page, "Sign Out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def open_mfa_section(page: Page) -> None:
    page.goto(CREDENTIALS_PATH)
    page.wait_for_load_state()
    page.get_by_text(MFA_SECTION, exact=True).click()
    expect(page.get_by_role("columnheader", name="Identifier", exact=True)).to_be_visible()


def start_assigning(page: Page, name: str, kind: str) -> None:
    """Assign MFA device: "Device name", the type, Next (MFA section open)."""
    button(page, "Assign MFA device").click()
    page.get_by_label("Device name", exact=True).fill(name)
    page.get_by_label(kind, exact=True).check()
    button(page, "Next").click()


# A code computed this close to the end of its step could reach the server in the next step,
# where the window has moved on; waiting for the next step keeps a test's codes in the window.
TOTP_STEP_MARGIN_SECONDS = 5


def totp_code(secret: str, step_offset: int = 0) -> str:
    import time

    import pyotp

    left = TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS
    if left < TOTP_STEP_MARGIN_SECONDS:
        time.sleep(left + 0.1)
    step = int(time.time() // TOTP_STEP_SECONDS) + step_offset
    return pyotp.TOTP(secret).at(step * TOTP_STEP_SECONDS)


def assign_authenticator_app(page: Page, name: str) -> str:
    """The whole wizard for an authenticator app; returns the secret from Show secret key.
    The two codes are the previous step's and the current one's (the server accepts ±1
    step), so the next step's code is fresh for a sign-in right after."""
    start_assigning(page, name, "Authenticator app")
    button(page, "Show QR code").click()
    expect(page.get_by_role("img", name="QR code for the authenticator app")).to_be_visible()
    button(page, "Show secret key").click()
    secret = page.locator("#secret-key code").inner_text().strip()
    page.get_by_label("MFA code 1", exact=True).fill(totp_code(secret, -1))
    page.get_by_label("MFA code 2", exact=True).fill(totp_code(secret, 0))
    button(page, "Add MFA").click()
    expect(page.get_by_role("cell", name=f":mfa/{name}")).to_be_visible()
    return secret


def enter_mfa_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", name=MFA_HEADING, level=1)).to_be_visible()
    page.get_by_label("MFA code", exact=True).fill(code)
    button(page, "Submit").click()


def remove_mfa_device(page: Page, name: str) -> None:
    page.get_by_role("row").filter(has_text=f":mfa/{name}").get_by_role(
        "button", name="Remove"
    ).click()
    dialog = page.get_by_role("dialog", name="Remove MFA device?", exact=True)
    expect(dialog).to_be_visible()
    button(dialog, "Remove").click()
    expect(page.get_by_text(f"MFA device {name} has been removed.")).to_be_visible()
