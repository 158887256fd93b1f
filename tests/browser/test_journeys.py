"""What each person sees in the browser, from the unit's report to the leaders' dashboard."""
import base64
import io

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import expect

from services.gateway.web import ROOT as WEB_ROOT
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
U03 = "Phòng Công tác Đảng và công tác chính trị"
# A 1x1 PNG: evidence must be a real file of its declared type.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def message(code):
    """The Vietnamese text the pages show for an API error code (from the pages' own table)."""
    for line in (WEB_ROOT / "js" / "messages.js").read_text().splitlines():
        if line.strip().startswith(f"{code}:"):
            return line.split(":", 1)[1].strip().strip(",").strip('"')
    raise AssertionError(f"no message for {code}")


def open_period(web, code, label, starts_on, ends_on):
    admin = {"X-Actor": "admin"}
    planned = requests.post(f"{web.url}/api/v1/periods", headers=admin, timeout=15, json={
        "code": code, "kind": "quarter", "year": 2021, "label": label, "starts_on": starts_on, "ends_on": ends_on,
        "deadline": ends_on, "template": {"id": "TCTD-CAT-2021", "version": 1}})
    assert planned.status_code == 200, planned.text
    opened = requests.post(f"{web.url}/api/v1/periods/{code}/transitions", headers=admin, timeout=15,
                           json={"action": "open", "level": "province"})
    assert opened.status_code == 200 and all(r["ok"] for r in opened.json()["results"]), opened.text


def by_id(page, element_id):
    return page.locator(f'[id="{element_id}"]')


def test_a_report_goes_from_the_unit_through_review_and_vote_to_the_leaders_live_dashboard(web, people):
    # The provincial leader opens the dashboard once, at the start, and never reloads it.
    leader = people("thien.nh")
    leader.goto(f"{web.url}/dieu-hanh?ky=2021-Q2")
    expect(leader.locator("#bang")).to_contain_text("Chưa có bảng xếp hạng")
    unread_at_start = leader.locator("#chua-doc").inner_text()

    # A unit officer fills the Q2 report form generated from the criteria template and submits it.
    officer = people("canbo.u03")
    officer.goto(f"{web.url}/bao-cao?ky=2021-Q2")
    expect(officer.locator("main")).to_contain_text("Đơn vị chưa có báo cáo kỳ này")
    expect(officer.locator("legend", has_text="G1. Kết quả công tác chuyên môn")).to_be_visible()
    by_id(officer, "gt-C1.1").fill("100")
    by_id(officer, "td-C1.1").fill("10")
    by_id(officer, "gt-C2.1").check()
    by_id(officer, "td-C2.1").fill("5")
    expect(officer.locator("#tong-tu-cham")).to_have_text("15")
    officer.get_by_label("Kết quả công tác chuyên môn").fill("Hoàn thành 100% chỉ tiêu quý II.")
    officer.get_by_role("button", name="Thêm khen thưởng").click()
    officer.get_by_label("Cấp khen").select_option(label="Bộ Công an")
    officer.locator("input[type=file]").set_input_files(
        {"name": "bien-ban-so-ket.png", "mimeType": "image/png", "buffer": PNG})
    expect(officer.locator(".files")).to_contain_text("bien-ban-so-ket.png")
    officer.locator("#luu-nhap").click()
    expect(officer.locator("#trang-thai-bao-cao")).to_have_text("Bản nháp")
    officer.locator("#nop-bao-cao").click()
    expect(officer.locator("#trang-thai-bao-cao")).to_have_text("Đã nộp")
    expect(officer.locator(".history")).to_contain_text("canbo.u03")

    # The leader's dashboard shows the new ranking by itself (a provisional ranking's notice waits
    # for the digest; the vote's result comes at once, below).
    expect(leader.locator("#bang-xep-hang")).to_contain_text(U03)

    # The cluster lead returns it with a reason.
    lead = people("hanh.ptv")
    lead.goto(f"{web.url}/xet-duyet?ky=2021-Q2")
    row = lead.locator('tr[data-unit="U03"]')
    expect(row).to_contain_text("Đã nộp")
    row.get_by_role("button").click()
    expect(lead.locator("#bao-cao-dang-xem")).to_contain_text(U03)
    lead.locator("#tra-lai").click()
    expect(lead.locator("#flash")).to_contain_text("Hãy ghi lý do trả lại")
    lead.locator("#ly-do").fill("Bổ sung biên bản sơ kết quý II.")
    lead.locator("#tra-lai").click()
    expect(lead.locator("#flash")).to_contain_text("Đã trả lại báo cáo")
    expect(row).to_contain_text("Bị trả lại")

    # The officer sees why, corrects the report and hands it in again.
    officer.reload()
    expect(officer.locator("#trang-thai-bao-cao")).to_have_text("Bị trả lại")
    expect(officer.locator("#ly-do-tra-lai")).to_have_text("Bổ sung biên bản sơ kết quý II.")
    officer.get_by_label("Triển khai phong trào thi đua").fill("Đã bổ sung biên bản sơ kết.")
    officer.get_by_role("button", name="Nộp lại báo cáo").click()
    expect(officer.locator("#trang-thai-bao-cao")).to_have_text("Đã nộp lại")

    # The lead scores it per criterion, with a comment.
    lead.reload()
    expect(row).to_contain_text("Đã nộp lại")
    row.get_by_role("button").click()
    expect(lead.locator("#bao-cao-dang-xem")).to_contain_text(U03)
    by_id(lead, "cham-C1.1").fill("9")
    lead.get_by_label("Nhận xét: Hoàn thành chỉ tiêu, nhiệm vụ chuyên môn được giao (%)").fill("Thiếu một chỉ tiêu phụ.")
    lead.locator("#luu-cham").click()
    expect(lead.locator("#flash")).to_contain_text("Đã lưu điểm chấm")
    expect(row).to_contain_text("Đã chấm")

    # The standing office moves the period to voting from the dashboard.
    office = people("trung.th")
    office.goto(f"{web.url}/dieu-hanh?ky=2021-Q2")
    for label in ("Khoá sổ (hết hạn nộp)", "Bắt đầu chấm điểm", "Chuyển sang biểu quyết"):
        office.get_by_role("button", name=label).click()
        expect(office.locator("#flash")).to_contain_text(f"Đã thực hiện: {label}")
    expect(office.locator("main")).to_contain_text("Đang biểu quyết")

    # The lead opens the vote; the unit casts its ballot on the ballot page; four more units vote (quorum 2/3).
    lead.reload()
    lead.locator("#mo-bieu-quyet").click()
    expect(lead.locator("#trang-thai-bieu-quyet")).to_contain_text("Đang biểu quyết")
    officer.goto(f"{web.url}/bieu-quyet?ky=2021-Q2")
    officer.locator('[id="xep-loai-U03"]').select_option(label="Xuất sắc")
    officer.get_by_role("radio", name=U03).check()
    officer.locator("#bo-phieu").click()
    expect(officer.locator("main")).to_contain_text("Đơn vị của đồng chí đã bỏ phiếu")
    vote = f"{web.url}/api/v1/clusters/CUM-01/periods/2021-Q2/vote"
    for voter in ("canbo.u01", "canbo.u02", "canbo.u04", "canbo.u05"):
        token = requests.post(f"{vote}/token", headers={"X-Actor": voter}, timeout=15).json()["token"]
        cast = requests.post(f"{vote}/ballots", json={"token": token, "classes": {"U03": "XUAT_SAC"},
                                                      "leading_unit": "U03"}, timeout=15)
        assert cast.status_code == 201, cast.text

    # The lead closes it and sees the count.
    lead.reload()
    lead.locator("#dong-bieu-quyet").click()
    expect(lead.locator("#kiem-phieu")).to_contain_text("5/6 phiếu")

    # Still without a reload, the leader's dashboard shows the elected leading unit and the
    # reviewed score (9 for C1.1 from the lead, 5 for C2.1).
    expect(leader.locator("#don-vi-dan-dau")).to_have_text(U03)
    expect(leader.locator(".leader-card")).to_contain_text("được bầu")
    expect(leader.locator("#chua-doc")).not_to_have_text(unread_at_start)
    expect(leader.locator("#thong-bao")).to_contain_text("Cụm thi đua số 1 Quý II/2021")
    expect(leader.locator('#bang-xep-hang tr[data-unit="U03"] td.total')).to_have_text("14")
    expect(leader.locator("#thay-doi")).to_be_visible()
    ranking = requests.get(f"{web.url}/api/v1/clusters/CUM-01/periods/2021-Q2/ranking", timeout=15,
                           headers={"X-Actor": "thien.nh"}).json()
    assert (ranking["leader"], ranking["leader_status"], ranking["table"][0]["total"]) == ("U03", "elected", 14)
    for page in (leader, officer, lead, office):
        assert page.errors == []


def test_the_ranking_downloads_as_an_excel_file(web, people):
    leader = people("thien.nh")
    leader.goto(f"{web.url}/dieu-hanh?cum=CUM-01&ky=2021-Q1")
    expect(leader.locator("#bang-xep-hang")).to_contain_text("Phòng Tham mưu")
    with leader.expect_download() as caught:
        leader.locator("#tai-excel").click()
    download = caught.value
    assert download.suggested_filename.startswith("xep-hang-CUM-01-2021-Q1-v")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Bảng xếp hạng thi đua Cụm thi đua số 1 - Quý I/2021"
    header = rows[3]
    assert header[:3] == ("Hạng", "Mã đơn vị", "Đơn vị") and "Tổng điểm" in header and "Xếp loại" in header
    table = [row for row in rows[4:] if row and isinstance(row[0], int)]
    ranking = requests.get(f"{web.url}/api/v1/clusters/CUM-01/periods/2021-Q1/ranking", timeout=15,
                           headers={"X-Actor": "thien.nh"}).json()
    total = header.index("Tổng điểm")
    assert [(row[1], row[total]) for row in table] == [(r["unit"], r["total"]) for r in ranking["table"]]


def test_refusals_are_explained_in_vietnamese_and_change_nothing(web, people, browser):
    # A wrong password: the API's UNAUTHENTICATED, in words.
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{web.url}/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("canbo.u05")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#login-message")).to_have_text(message("UNAUTHENTICATED"))
    sign_in(page, web.url, "canbo.u05")
    context.close()

    # A self-score above the criterion's maximum is caught before anything is sent.
    open_period(web, "2021-Q3", "Quý III/2021", "2021-06-30T17:00:00Z", "2021-09-30T16:59:59Z")
    officer = people("canbo.u05")
    officer.goto(f"{web.url}/bao-cao?ky=2021-Q3")
    expect(officer.locator("main")).to_contain_text("Đơn vị chưa có báo cáo kỳ này")
    by_id(officer, "td-C1.1").fill("25")
    officer.locator("#nop-bao-cao").click()
    expect(officer.locator("#flash")).to_contain_text("phải là số từ 0 đến 20")
    stored = requests.get(f"{web.url}/api/v1/reports", params={"unit": "U05", "period": "2021-Q3"},
                          headers={"X-Actor": "canbo.u05"}, timeout=15).json()["items"]
    assert stored == []

    # An officer of another unit who opens the review page cannot score: the API's FORBIDDEN, in words.
    handed_in = requests.post(f"{web.url}/api/v1/reports", headers={"X-Actor": "canbo.u05"}, timeout=15,
                              json={"unit": "U05", "period": "2021-Q3", "values": {"C2.1": {"passed": True}}})
    assert handed_in.status_code == 201, handed_in.text
    officer = people("canbo.u06")
    officer.goto(f"{web.url}/xet-duyet?ky=2021-Q3")
    officer.locator('tr[data-unit="U05"]').get_by_role("button").click()
    officer.locator("#luu-cham").click()
    expect(officer.locator("#flash")).to_have_text(message("FORBIDDEN"))
    report = requests.get(f"{web.url}/api/v1/reports/{handed_in.json()['id']}", timeout=15,
                          headers={"X-Actor": "canbo.u05"}).json()
    assert (report["status"], report["review"]) == ("SUBMITTED", {})
    assert officer.errors == []
