"""`make screenshots`: drive Chromium through the key lifecycle and save a PNG of each state.

Starts the console under gunicorn exactly as `make run` serves it, on a throwaway var/
directory, signs in as a fresh root user and writes docs/screenshots/*.png.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
EMAIL, PASSWORD = "root@example.com", "screenshots-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - loopback URL we built
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the console did not start at {url}")


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Root user email address").fill(EMAIL)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    print(f"  docs/screenshots/{name}.png")


def shoot_mfa(page: Page, base: str) -> None:
    """The Password and MFA sections, the authenticator-app wizard and the MFA sign-in step.
    (Reached by 127.0.0.1, the wizard also shows why a passkey is unavailable there.)"""
    import pyotp

    page.goto(f"{base}/iam/security_credentials")
    page.get_by_text("Password", exact=True).click()
    shoot(page, "password")
    page.get_by_text("Multi-factor authentication (MFA)", exact=True).click()
    page.get_by_role("button", name="Assign MFA device").click()
    page.get_by_label("Device name").fill("my-phone")
    shoot(page, "mfa-assign")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Show QR code").click()
    shoot(page, "mfa-authenticator-app")
    page.get_by_role("button", name="Show secret key").click()
    totp = pyotp.TOTP(page.locator("#secret-key code").inner_text().strip())
    now = time.time()
    page.get_by_label("MFA code 1").fill(totp.at(now - 30))
    page.get_by_label("MFA code 2").fill(totp.at(now))
    page.get_by_role("button", name="Add MFA").click()
    page.get_by_text("has been assigned").wait_for()
    shoot(page, "mfa-devices")
    page.get_by_text("demo-account", exact=True).first.click()
    page.get_by_role("button", name="Sign Out").click()
    sign_in(page, base)
    page.get_by_role("heading", name="Multi-factor authentication").wait_for()
    shoot(page, "mfa-signin")
    page.get_by_label("MFA code").fill(totp.at(now + 30))
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="IAM Dashboard").wait_for()


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="screenshots-")
    port = free_port()
    env = {
        **os.environ,
        "VAR_DIR": var_dir,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            *manage,
            "createrootuser",
            "--email",
            EMAIL,
            "--account-name",
            "demo-account",
            "--password-stdin",
        ],
        cwd=ROOT,
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "console.wsgi",
            "-c",
            "console/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        wait_until_up(f"{base}/healthz", time.monotonic() + 30)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            desktop = browser.new_page(viewport={"width": 1280, "height": 800})
            desktop.goto(f"{base}/signin")
            shoot(desktop, "signin")
            sign_in(desktop, base)
            shoot(desktop, "dashboard")
            desktop.get_by_text("demo-account", exact=True).first.click()
            shoot(desktop, "account-menu")
            desktop.get_by_role("link", name="My Security Credentials").click()
            shoot(desktop, "warning")
            desktop.get_by_role("button", name="Continue to Security Credentials").click()
            desktop.get_by_text("Access keys (access key ID and secret access key)").click()
            desktop.get_by_role("button", name="Create New Access Key").click()
            desktop.get_by_role("button", name="Show Access Key").click()
            shoot(desktop, "create-dialog")
            desktop.get_by_role("button", name="Close").click()
            desktop.get_by_role("button", name="Create New Access Key").click()
            desktop.get_by_role("button", name="Close").click()
            desktop.get_by_role("button", name="Make Inactive").first.click()
            desktop.get_by_text("is now inactive").wait_for()
            shoot(desktop, "credentials")
            desktop.get_by_role("button", name="Delete").first.click()
            desktop.locator("dialog").wait_for()
            shoot(desktop, "delete-confirmation")
            desktop.get_by_role("button", name="Cancel").click()
            phone = browser.new_page(viewport={"width": 360, "height": 740})
            sign_in(phone, base)
            phone.goto(f"{base}/iam/security_credentials")
            phone.get_by_role("button", name="Continue to Security Credentials").click()
            phone.get_by_text("Access keys (access key ID and secret access key)").click()
            shoot(phone, "phone-credentials")
            shoot_mfa(desktop, base)  # last: from here on, signing in needs an MFA code
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
