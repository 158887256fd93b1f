"""The web pages in a real headless Chromium (Debian's package, driven by Playwright),
against the whole platform in its own processes, vhost and databases, with the demo
cluster loaded. ``make test`` finds or installs Chromium and passes its path in
``CHROMIUM_PATH``."""
import os
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.conftest import Platform

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
PASSWORD = "thidua-demo"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def web(tmp_path_factory):
    logs = tmp_path_factory.mktemp("web-platform")
    try:
        # Every person of every test signs in from loopback, more than the 10 a minute one address
        # may try; the limit itself is tested in tests/e2e/test_auth.py.
        with Platform(logs, RETRY_DELAYS_MS="100,300", OUTBOX_SWEEP_SECONDS="0.3",
                      LOGIN_ATTEMPTS_PER_MINUTE="1000") as platform:
            yield platform
    except SystemExit as exc:
        pytest.fail(f"{exc}; service logs are in {logs}")


@pytest.fixture(scope="session")
def browser():
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    assert path, "No Chromium: run the tests with `make test`, which installs it, or set CHROMIUM_PATH."
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def people(browser, web):
    """``people("canbo.u03")`` is a page of that person's own browser, signed in."""
    contexts = []

    def open_as(person, viewport=(1280, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, web.url, person)
        return page

    yield open_as
    for context in contexts:
        context.close()


def sign_in(page, url, person, password=PASSWORD):
    page.goto(f"{url}/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(person)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#who")).to_contain_text("Đăng xuất")
