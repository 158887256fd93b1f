"""The ranking table as an Excel workbook, the way a staff officer files it, with the meeting's
vote count and proposals on sheets of their own. Pure: no I/O.

The rows of the vote count and of the proposals are made here once (:func:`vote_count_rows`,
:func:`proposal_rows`) and read by the workbook and the minutes (``minutes.py``) alike."""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from services.submissions.reports import award_name

CLASS_NAMES = {"XUAT_SAC": "Xuất sắc", "TOT": "Tốt", "KHA": "Khá", "TRUNG_BINH": "Trung bình", "YEU": "Yếu"}
CLASS_FILLS = {"XUAT_SAC": "C6EFCE", "TOT": "DDEBF7", "KHA": "FFF2CC", "TRUNG_BINH": "FCE4D6", "YEU": "F8CBAD"}
KIND_NAMES = {"collective": "tập thể", "individual": "cá nhân", "mixed": "lượt đơn vị, cá nhân"}
PROPOSAL_STATES = {"DRAFT": "Dự thảo", "SUBMITTED": "Đã trình", "APPROVED": "Được duyệt", "REJECTED": "Không duyệt"}
LEADER_STATUS = {"elected": "được bầu", "provisional": "tạm thời, theo điểm", "tie_revote": "bằng điểm, bầu lại",
                 "none": "chưa xác định", None: "chưa xác định"}


def class_name(code, levels=None):
    """A class code in words: from the template's levels if given, else the usual names."""
    named = {level["code"]: level["name"] for level in levels or ()}
    return named.get(code) or CLASS_NAMES.get(code) or (code or "")


def vote_count_rows(count, levels=None):
    """The vote count (as ``GET …/vote/count`` answers it) as (header, rows, totals): totals are
    (label, value) lines, rows one per unit with its count per class and for leading unit."""
    codes = count["levels"]
    totals = [("Số đại biểu (đơn vị) có quyền biểu quyết", count["eligible"]), ("Số phiếu phát ra, thu về", count["cast"]),
              ("Số phiếu hợp lệ", count["valid"]), ("Số phiếu không hợp lệ", count["invalid"]),
              ("Số đơn vị không bỏ phiếu", count["not_cast"]),
              ("Tỉ lệ tối thiểu (quorum)", f"{count['quorum']} - {'đạt' if count['quorum_met'] else 'không đạt'}"),
              ("Ngưỡng thông qua", _threshold_words(count))]
    header = ["Đơn vị", *(class_name(c, levels) for c in codes), "Để trống", "Đơn vị dẫn đầu", "Kết quả biểu quyết"]
    rows = [[u["unit_name"], *(u["classes"][c] for c in codes), u["blank"], u["leading_votes"],
             class_name(u["class_by_vote"], levels) if u["class_by_vote"] else "không đủ ngưỡng"]
            for u in count["units"]]
    if count["withheld"]:
        totals.append(("Số phiếu quá ít: chỉ công bố tổng theo loại",
                       ", ".join(f"{class_name(c, levels)}: {n}" for c, n in (count["class_totals"] or {}).items())))
    return header, rows, totals


def _threshold_words(count):
    share = count["threshold"]
    return f"trên {share} số phiếu" if count["majority_rule"].startswith("more") else f"từ {share} số phiếu trở lên"


def proposal_rows(proposals):
    """The proposals (as ``GET …/proposals`` answers them) as (header, rows)."""
    header = ["STT", "Đối tượng", "Tập thể/cá nhân", "Hình thức", "Lý do", "Căn cứ", "Trạng thái", "Ý kiến thẩm định"]
    rows = [[index, p["recipient"], KIND_NAMES[p["kind"]], award_name(p["form"], p["level"]), p["reason"],
             p.get("source") or "đề xuất tại hội nghị", PROPOSAL_STATES[p["state"]],
             (p.get("decision") or {}).get("reason") or ""]
            for index, p in enumerate(proposals["items"], start=1)]
    return header, rows


def commendation_lines(totals):
    """Commendation totals (``{form: {level: {kind: n}}}``) as lines a person reads:
    'Bằng khen Bộ Công an: 10 tập thể'."""
    lines = []
    for form, by_level in totals.items():
        for level, counts in by_level.items():
            said = [f"{n} {KIND_NAMES[kind]}" for kind, n in counts.items() if n]
            lines.append(f"{award_name(form, level)}: {', '.join(said)}")
    return lines


def _sheet(book, title, header, rows, widths):
    sheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append(row)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet


def ranking_workbook(ranking, period_label, group_names=None, levels=None, vote_count=None, proposals=None):
    """``ranking`` (as ``GET …/ranking`` answers it) as the bytes of an .xlsx file: a title,
    one row per unit in rank order with each criteria group's points, and the leading unit;
    then, when given, the vote count (sheet "Kiểm phiếu") and the proposals ("Đề nghị khen thưởng")."""
    group_codes = sorted({code for row in ranking["table"] for code in row.get("groups", {})})
    group_names = group_names or {}
    book = Workbook()
    sheet = book.active
    sheet.title = "Xếp hạng"
    title = f"Bảng xếp hạng thi đua {ranking.get('cluster_name') or ranking['cluster']} - {period_label}"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Phiên bản {ranking['version']}, tính lúc {ranking['computed_at']} "
                  f"(quy tắc {ranking['rule_version']}, bộ tiêu chí {ranking['template']['id']} "
                  f"v{ranking['template']['version']})"])
    sheet.append([])
    header = ["Hạng", "Mã đơn vị", "Đơn vị", *(group_names.get(c, c) for c in group_codes),
              "Tổng điểm", "Điểm tự chấm", "Xếp loại", "Vi phạm", "Khen thưởng", "Nộp muộn"]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in ranking["table"]:
        sheet.append([row["rank"], row["unit"], row.get("unit_name") or row["unit"],
                      *(row.get("groups", {}).get(c) for c in group_codes), row["total"],
                      row.get("self_total"), class_name(row.get("class"), levels), row.get("violations", 0),
                      row.get("commendations", 0), "Có" if row.get("late") else ""])
        fill = CLASS_FILLS.get(row.get("class"))
        if fill:
            sheet.cell(sheet.max_row, len(header) - 3).fill = PatternFill("solid", fgColor=fill)
    sheet.append([])
    leader = next((r for r in ranking["table"] if r["unit"] == ranking.get("leader")), None)
    sheet.append(["Đơn vị dẫn đầu:", leader["unit_name"] if leader else "chưa xác định",
                  LEADER_STATUS.get(ranking.get("leader_status"), ranking.get("leader_status"))])
    for index, width in enumerate([7, 11, 42, *([14] * len(group_codes)), 11, 12, 13, 9, 12, 10], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    if vote_count is not None:
        header, rows, totals = vote_count_rows(vote_count, levels)
        counted = _sheet(book, "Kiểm phiếu", header, rows, [42, *([11] * (len(header) - 1))])
        counted.append([])
        for label, value in totals:
            counted.append([label, value])
    if proposals is not None:
        header, rows = proposal_rows(proposals)
        listed = _sheet(book, "Đề nghị khen thưởng", header, rows, [6, 36, 14, 34, 40, 40, 13, 30])
        listed.append([])
        listed.append(["Tổng hợp (trừ đề nghị không được duyệt)"])
        for line in commendation_lines(proposals["rollup"]):
            listed.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
