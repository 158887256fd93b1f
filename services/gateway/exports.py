"""The ranking table as an Excel workbook, the way a staff officer files it. Pure: no I/O."""
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

CLASS_NAMES = {"XUAT_SAC": "Xuất sắc", "TOT": "Tốt", "KHA": "Khá", "TRUNG_BINH": "Trung bình", "YEU": "Yếu"}
CLASS_FILLS = {"XUAT_SAC": "C6EFCE", "TOT": "DDEBF7", "KHA": "FFF2CC", "TRUNG_BINH": "FCE4D6", "YEU": "F8CBAD"}
LEADER_STATUS = {"elected": "được bầu", "provisional": "tạm thời, theo điểm", "tie_revote": "bằng điểm, bầu lại",
                 "none": "chưa xác định", None: "chưa xác định"}


def class_name(code, levels=None):
    """A class code in words: from the template's levels if given, else the usual names."""
    named = {level["code"]: level["name"] for level in levels or ()}
    return named.get(code) or CLASS_NAMES.get(code) or (code or "")


def ranking_workbook(ranking, period_label, group_names=None, levels=None):
    """``ranking`` (as ``GET …/ranking`` answers it) as the bytes of an .xlsx file: a title,
    one row per unit in rank order with each criteria group's points, and the leading unit."""
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
