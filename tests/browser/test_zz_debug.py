import pytest
from playwright.sync_api import Page, expect
from tests.browser.steps import *
pytestmark = [pytest.mark.browser]
def test_d(page: Page, alice):
    page.on("console", lambda m: print("console:", m.text))
    page.on("pageerror", lambda e: print("pageerror:", e))
    sign_in_to_access_keys(page, alice.email, alice.account_name)
    page.evaluate("""() => document.addEventListener('close', e => console.log('close event on', e.target.id), true)""")
    button(page, "Create New Access Key").click()
    page.wait_for_timeout(1000)
    print(page.locator("#access-keys-body").evaluate("e => e.outerHTML.length"), page.locator("dialog").count())
