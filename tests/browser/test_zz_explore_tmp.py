import pytest, json
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from tests.browser.steps import *
from tests.factories import make_access_key
pytestmark = [pytest.mark.browser]
AXE = Axe()

def dump(page, name):
    r = AXE.run(page)
    print("\n=====", name, page.url)
    for v in r.response["violations"]:
        print(" ", v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
    print(page.locator("body").aria_snapshot())

@pytest.mark.parametrize("js", [True, False])
def test_explore(browser, alice, js):
    ctx = browser.new_context(java_script_enabled=js, base_url=None)
    page = ctx.new_page()
    from django.conf import settings
    import tests.browser.conftest
    base = page.context
    page.goto(LIVE + "/signin")
    dump(page, "signin")
    button(page, "Next").click(); dump(page, "signin error")
    page.get_by_label("Root user email address").fill(alice.email); button(page, "Next").click()
    dump(page, "password")
    page.get_by_label("Password").fill("x"); button(page,"Sign in").click(); dump(page, "password error")
    page.get_by_label("Password").fill(PASSWORD); button(page,"Sign in").click(); dump(page, "dashboard")
    account_menu(page, alice.account_name).click(); dump(page, "menu")
    page.get_by_role("link", name="My Security Credentials").click(); dump(page, "warning")
    button(page, "Continue to Security Credentials").click(); dump(page, "collapsed")
    page.get_by_text(ACCESS_KEYS, exact=True).click(); dump(page, "expanded 0")
    d = create_access_key(page); page.wait_for_timeout(300); dump(page, "create")
    show_access_key(page); dump(page, "create shown")
    button(create_dialog(page), "Close").click(); expect(create_dialog(page)).to_have_count(0); dump(page, "1 key")
    kid = page.locator("code[id^=key-id]").first.inner_text()
    button(key_row(page, kid), "Delete").click(); expect(delete_dialog(page)).to_be_visible(); page.wait_for_timeout(300); dump(page, "delete")
    delete_dialog(page).get_by_label(CONFIRM_DELETE_LABEL).fill("nope"); button(delete_dialog(page), "Delete").click()
    expect(delete_dialog(page).get_by_text("does not match")).to_be_visible(); page.wait_for_timeout(300); dump(page, "delete err")
    page.goto(LIVE + "/iam/event_history") ; dump(page, "events")
    page.goto(LIVE + "/iam/users"); dump(page, "users")
    page.goto(LIVE + "/nope"); dump(page, "404")
    page.goto(LIVE + download_urls(kid)[0]); dump(page, "410")

@pytest.fixture(autouse=True)
def _live(live_server):
    global LIVE; LIVE = live_server.url
from tests.factories import PASSWORD
