"""The web pages' files and the Excel export, checked without a browser."""
import io
import re
from pathlib import Path

from openpyxl import load_workbook

from services.gateway import exports, web
from thidua.errors import table

ROOT = Path(__file__).resolve().parents[2]


def error_codes():
    codes = {code for code, _, _ in table()}
    for path in (ROOT / "services").rglob("*.py"):
        codes |= set(re.findall(r'(?:HttpError|error_response)\(\s*\d+, "([A-Z_]+)"', path.read_text()))
    return codes


def test_every_error_code_has_a_vietnamese_message_in_the_pages():
    messages = (web.ROOT / "js" / "messages.js").read_text()
    explained = set(re.findall(r"^  ([A-Z0-9_]+): ", messages, re.M))
    assert len(error_codes()) > 20
    assert sorted(error_codes() - explained) == []


def test_only_files_of_the_table_are_served():
    assert web.asset("js/main.js")[1] == "text/javascript"
    assert web.asset("app.css")[1] == "text/css"
    for name in ("../service.py", "/etc/passwd", "js/../../web.py", "missing.js"):
        assert web.asset(name) is None


def test_every_script_the_pages_import_is_served():
    for name, (data, kind, _) in web.FILES.items():
        if kind == "text/javascript":
            for target in re.findall(r'from "(\.{1,2}/[^"]+)"', data.decode()):
                resolved = (Path(name).parent / target).as_posix()
                parts = []
                for part in resolved.split("/"):
                    if part == "..":
                        parts.pop()
                    elif part != ".":
                        parts.append(part)
                assert "/".join(parts) in web.FILES, f"{name} imports {target}, which is not served"


RANKING = {"cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "period": "2021-Q1", "version": 3,
           "computed_at": "2021-04-12T03:00:00Z", "rule_version": "engine/1",
           "template": {"id": "TCTD-CAT-2021", "version": 1}, "leader": "U01", "leader_status": "elected",
           "table": [
               {"unit": "U01", "unit_name": "Phòng Tham mưu", "rank": 1, "total": 84.0, "self_total": 84.0,
                "groups": {"G1": 40.0, "G2": 44.0}, "class": "XUAT_SAC", "violations": 0, "commendations": 9,
                "late": True},
               {"unit": "U02", "unit_name": "Phòng Tổ chức cán bộ", "rank": 2, "total": 74.15, "self_total": 70,
                "groups": {"G1": 31.25, "G2": 42.9}, "class": "TOT", "violations": 1, "commendations": 0,
                "late": False}]}


def test_the_workbook_has_one_row_per_unit_in_rank_order_with_group_points_and_the_leader():
    sheet = load_workbook(io.BytesIO(exports.ranking_workbook(
        RANKING, "Quý I/2021", {"G1": "Chuyên môn", "G2": "Phong trào"}))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Bảng xếp hạng thi đua Cụm thi đua số 1 - Quý I/2021"
    assert rows[3] == ("Hạng", "Mã đơn vị", "Đơn vị", "Chuyên môn", "Phong trào", "Tổng điểm", "Điểm tự chấm",
                       "Xếp loại", "Vi phạm", "Khen thưởng", "Nộp muộn")
    assert rows[4] == (1, "U01", "Phòng Tham mưu", 40, 44, 84, 84, "Xuất sắc", 0, 9, "Có")
    assert rows[5] == (2, "U02", "Phòng Tổ chức cán bộ", 31.25, 42.9, 74.15, 70, "Tốt", 1, 0, None)
    assert rows[7][:3] == ("Đơn vị dẫn đầu:", "Phòng Tham mưu", "được bầu")


def test_every_page_the_gateway_serves_is_drawn_by_a_page_module():
    main = (web.ROOT / "js" / "main.js").read_text()
    table = re.search(r"const PAGES = \{(.*?)\};", main, re.S).group(1)
    drawn = dict(re.findall(r'"([a-z-]+)": (\w+)', table))
    imported = dict(re.findall(r'import \* as (\w+) from "\./pages/([a-z]+)\.js";', main))
    assert sorted(drawn) == sorted(web.PAGES)
    for page, module in drawn.items():
        assert module in imported, f"/{page} is drawn by {module}, which main.js does not import"
        assert f"js/pages/{imported[module]}.js" in web.FILES
