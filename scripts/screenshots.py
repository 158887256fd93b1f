"""Screenshots of the main pages for the README, from a running platform with the demo data.

    make run && .venv/bin/python -m scripts.screenshots [http://127.0.0.1:8080]

Drives Debian's Chromium (``CHROMIUM_PATH`` or ``chromium``) with Playwright and writes
``docs/screenshots/*.png``. It only reads: it signs in as demo people and opens pages.
"""
import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]
SHOTS = [  # (file, person, path, element to click first or None)
    ("dang-nhap.png", None, "/dang-nhap", None),
    ("dieu-hanh.png", "thien.nh", "/dieu-hanh?cum=CUM-01&ky=2021-Q1", None),
    ("bao-cao.png", "canbo.u02", "/bao-cao?ky=2021-Q1", None),
    ("xet-duyet.png", "hanh.ptv", "/xet-duyet?ky=2021-Q1", 'tr[data-unit="U02"] button'),
    ("bieu-quyet.png", "canbo.u03", "/bieu-quyet?ky=2021-Q1", None),
    ("hop-cum.png", "hanh.ptv", "/hop-cum?cum=CUM-01&ky=2021-Q1", None),
    ("de-nghi-khen-thuong.png", "trung.th", "/de-nghi-khen-thuong?trang-thai=APPROVED", None),
]


def main(url):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"), args=ARGS)
        for name, person, path, click in SHOTS:
            context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="vi-VN",
                                          timezone_id="Asia/Ho_Chi_Minh")
            page = context.new_page()
            if person:
                page.goto(f"{url}/dang-nhap")
                page.get_by_label("Tên đăng nhập").fill(person)
                page.get_by_label("Mật khẩu").fill("thidua-demo")
                page.get_by_role("button", name="Đăng nhập").click()
                page.locator("#who").get_by_text("Đăng xuất").wait_for()
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            if click:
                page.locator(click).click()
                page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / name), full_page=name != "dieu-hanh.png")
            print(f"wrote {OUT / name}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
