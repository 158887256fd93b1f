"""The cluster's meeting in the browser: the chair concludes with the conclusion text, the lead
submits the proposals for commendation, the standing office approves and rejects them, and the
minutes download as a Word file holding the conclusion."""
import io
import re

import pytest
import requests
from docx import Document
from playwright.sync_api import expect

from tests.browser.test_journeys import by_id

pytestmark = pytest.mark.browser
PERIOD = "2021-Q4"
RUN = f"/api/v1/clusters/CUM-01/periods/{PERIOD}"
CONCLUSION = ("Hội nghị thống nhất kết quả xếp loại quý IV/2021. Đồng chí Phó Giám đốc chỉ đạo các đơn vị "
              "trong cụm khắc phục hạn chế, đẩy mạnh phong trào thi đua vì an ninh Tổ quốc năm 2022.")
U01 = "Phòng Tham mưu"


def call(web, method, path, actor, body=None, status=200):
    response = requests.request(method, f"{web.url}{path}", json=body, timeout=20, headers={"X-Actor": actor})
    assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def run_of(web, actor="trung.th"):
    return call(web, "GET", RUN, actor)


def move(web, action, actor="trung.th", **body):
    return call(web, "POST", f"{RUN}/transitions", actor, {"action": action, "version": run_of(web)["version"], **body})


@pytest.fixture(scope="module")
def voted(web):
    """CUM-01's run of Q4/2021, chaired by thien.nh: two reports handed in and reviewed, the vote
    held (five ballots elect U01) and closed; the run is VOTING, ready to be concluded."""
    call(web, "POST", "/api/v1/periods", "admin", {
        "code": PERIOD, "kind": "quarter", "year": 2021, "label": "Quý IV/2021", "starts_on": "2021-09-30T17:00:00Z",
        "ends_on": "2021-12-31T16:59:59Z", "deadline": "2021-12-31T16:59:59Z",
        "template": {"id": "TCTD-CAT-2021", "version": 1}})
    call(web, "PUT", RUN, "trung.th", {"chair": "thien.nh", "version": run_of(web)["version"]})
    move(web, "open")
    for unit in ("U01", "U02"):
        report = call(web, "POST", "/api/v1/reports", f"canbo.{unit.lower()}", status=201, body={
            "unit": unit, "period": PERIOD, "values": {"C1.1": {"actual": 100}, "C2.1": {"passed": True}},
            "self_scores": {"C1.1": 20, "C2.1": 5}})
        call(web, "POST", f"/api/v1/reports/{report['id']}/review", "hanh.ptv",
             {"version": report["version"], "review": {"C1.1": {"points": 19 if unit == "U01" else 12}}})
    for action in ("close", "start_scoring", "start_voting"):
        move(web, action)
    vote = f"{RUN}/vote"
    call(web, "POST", f"{vote}/open", "hanh.ptv")
    for voter in ("canbo.u01", "canbo.u02", "canbo.u03", "canbo.u04", "canbo.u05"):
        token = call(web, "POST", f"{vote}/token", voter, status=201)["token"]
        requests.post(f"{web.url}{vote}/ballots", timeout=20, json={
            "token": token, "classes": {"U01": "XUAT_SAC", "U02": "TOT"}, "leading_unit": "U01"}).raise_for_status()
    call(web, "POST", f"{vote}/close", "hanh.ptv")
    return run_of(web)



@pytest.fixture
def concluded(web, voted):
    """The run concluded by its chair (by the test that does it on the page, or here when run alone)."""
    if run_of(web)["state"] != "CONCLUDED":
        move(web, "conclude", actor="thien.nh", conclusion=CONCLUSION)

def test_the_chair_concludes_with_the_conclusion_text_and_the_dates_read_day_month_year(web, people, voted):
    chair = people("thien.nh")
    chair.goto(f"{web.url}/xet-duyet?cum=CUM-01&ky={PERIOD}")
    # The queue's hand-in times and every date of the pages read dd/mm/yyyy.
    expect(chair.locator('tr[data-unit="U01"]')).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"))
    shown = chair.evaluate("""async () => { const dom = await import("/static/js/dom.js");
        return [dom.when("2021-04-09T17:30:00Z"), dom.day("2021-03-31"), dom.day("2021-12-31T16:59:59Z")]; }""")
    assert shown == ["10/04/2021 00:30", "31/03/2021", "31/12/2021"]

    # Without a text nothing is sent; with it the run is concluded and the text is shown.
    chair.locator("#ket-luan-cong-bo").click()
    expect(chair.locator("#flash")).to_contain_text("Hãy ghi nội dung kết luận")
    assert run_of(web)["state"] == "VOTING"
    chair.get_by_label("Nội dung kết luận, chỉ đạo của chủ trì").fill(CONCLUSION)
    chair.locator("#ket-luan-cong-bo").click()
    expect(chair.locator("#flash")).to_contain_text("Đã kết luận và công bố kết quả")
    expect(chair.locator("#ket-luan-noi-dung")).to_have_text(CONCLUSION)
    run = run_of(web)
    assert (run["state"], run["conclusion"]["text"], run["conclusion"]["by"]) == ("CONCLUDED", CONCLUSION, "thien.nh")
    assert chair.errors == []


def test_the_lead_submits_the_proposals_and_the_standing_office_approves_and_rejects_them(web, people, concluded):
    lead = people("hanh.ptv")
    lead.goto(f"{web.url}/hop-cum?cum=CUM-01&ky={PERIOD}")
    # The vote count record: five of six units cast, U01 elected.
    record = lead.locator("#bien-ban-kiem-phieu")
    expect(record).to_contain_text("Số phiếu thu về")
    expect(record.locator("dd").nth(1)).to_have_text("5")
    expect(lead.locator("#ket-qua-kiem-phieu")).to_contain_text(f"Đơn vị dẫn đầu được bầu: {U01}")
    # Drafted on conclusion from the result: the elected leading unit gets a Cờ thi đua.
    drafts = lead.locator("#de-nghi li.proposal")
    expect(drafts.filter(has_text="Cờ thi đua")).to_contain_text(U01)

    # The lead adds an individual's proposal, then submits them all.
    lead.locator("details.add-proposal summary").click()
    lead.locator("#kieu-moi").select_option("individual")
    lead.locator("#ca-nhan-moi").fill("Nguyễn Văn An")
    lead.locator("#hinh-thuc-moi").select_option(label="Giấy khen")
    lead.locator("#ly-do-de-nghi-moi").fill("Có thành tích xuất sắc trong đấu tranh phòng, chống tội phạm quý IV/2021.")
    lead.locator("#them-de-nghi").click()
    expect(lead.locator("#flash")).to_contain_text("Đã thêm đề nghị")
    expect(drafts.filter(has_text="Nguyễn Văn An")).to_contain_text("Giấy khen")
    lead.locator("#trinh-de-nghi").click()
    expect(lead.locator("#flash")).to_contain_text("Đã trình đề nghị")
    expect(lead.locator("#trinh-de-nghi")).to_have_count(0)
    submitted = call(web, "GET", f"{RUN}/proposals", "hanh.ptv")["items"]
    assert submitted and {p["state"] for p in submitted} == {"SUBMITTED"}

    # The standing office approves the leading unit's flag and rejects the individual's, with a reason.
    office = people("trung.th")
    office.goto(f"{web.url}/de-nghi-khen-thuong")
    flag = next(p for p in submitted if p["form"] == "CO_THI_DUA")
    person = next(p for p in submitted if p["kind"] == "individual")
    office.locator(f'tr[data-proposal="{flag["id"]}"] [data-action="approve"]').click()
    expect(office.locator("#flash")).to_contain_text("Đã duyệt đề nghị")
    expect(office.locator(f'tr[data-proposal="{flag["id"]}"]')).to_have_count(0)
    row = office.locator(f'tr[data-proposal="{person["id"]}"]')
    row.locator('[data-action="reject"]').click()
    expect(office.locator("#flash")).to_contain_text("Hãy ghi lý do không duyệt")
    by_id(office, f"ly-do-{person['id']}").fill("Đề nghị khen ở cấp đơn vị, không thuộc thẩm quyền cụm.")
    row.locator('[data-action="reject"]').click()
    expect(office.locator("#flash")).to_contain_text("Đã ghi không duyệt")
    states = {p["id"]: p for p in call(web, "GET", f"{RUN}/proposals", "trung.th")["items"]}
    assert states[flag["id"]]["state"] == "APPROVED"
    assert (states[person["id"]]["state"], states[person["id"]]["decision"]["reason"]) == (
        "REJECTED", "Đề nghị khen ở cấp đơn vị, không thuộc thẩm quyền cụm.")
    # The approved ones, rolled up per form and level.
    office.locator("#chon-trang-thai").select_option(label="Đã duyệt")
    expect(office.locator(f'tr[data-proposal="{flag["id"]}"]')).to_contain_text("Đã duyệt")
    approved = call(web, "GET", "/api/v1/proposals?state=APPROVED", "trung.th")["items"]
    flags = [p for p in approved if (p["form"], p["level"]) == ("CO_THI_DUA", flag["level"])]
    assert flag["id"] in {p["id"] for p in flags}
    row = office.locator(f'#tong-hop-de-nghi tr[data-form="CO_THI_DUA"][data-level="{flag["level"]}"]')
    expect(row.locator("td").nth(1)).to_have_text(str(len(flags)))   # collectives: the demo's Q1 and this one
    # The lead sees the decisions on the meeting page.
    lead.reload()
    expect(drafts.filter(has_text="Nguyễn Văn An")).to_contain_text("Không duyệt")
    for page in (lead, office):
        assert page.errors == []


def test_the_minutes_download_as_a_word_file_holding_the_conclusion(web, people, concluded):
    chair = people("thien.nh")
    chair.goto(f"{web.url}/hop-cum?cum=CUM-01&ky={PERIOD}")
    with chair.expect_download() as caught:
        chair.locator("#tai-bien-ban").click()
    download = caught.value
    assert download.suggested_filename.endswith(".docx")
    minutes = Document(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join([p.text for p in minutes.paragraphs]
                     + [cell.text for table in minutes.tables for row in table.rows for cell in row.cells])
    assert "BIÊN BẢN" in text and CONCLUSION in text and U01 in text
    assert chair.errors == []

