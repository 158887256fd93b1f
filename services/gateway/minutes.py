"""The minutes of a cluster's meeting (biên bản họp) as a Word file, laid out as an official
record: national motto, title, the meeting's particulars, the ranking with classes, the vote
count, the leading unit, the proposals for commendation, the conclusion, and the signatures of
the chair and the secretary. In Vietnamese; dates dd/mm/yyyy. Pure: no I/O (python-docx builds
the file in memory).

``meeting`` is gathered by the gateway (``routes/meeting.py``) from the services:
``cluster`` ({id, name, force}), ``period_label``, ``date`` (ISO moment or None), ``place``,
``chair`` and ``secretary`` ({name, title} or None), ``units`` ([{unit, name, role}]),
``people`` ([{name, title}]), ``summary`` (the cluster summary), ``ranking`` (the table or
None), ``levels`` (the template's), ``vote_count`` (or None), ``proposals`` ({items, rollup})
and ``conclusion`` ({text, by, at} or None).
"""
import io
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from services.gateway.exports import LEADER_STATUS, class_name, commendation_lines, proposal_rows, vote_count_rows

MOTTO = ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
ROLES = {"lead": "cụm trưởng", "deputy": "cụm phó", "member": "thành viên"}
BLANK = "……………………"


def day(moment):
    """``dd/mm/yyyy`` of an ISO-8601 moment (or a datetime), dotted blanks when unknown."""
    if not moment:
        return "…/…/……"
    if not isinstance(moment, datetime):
        moment = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return moment.strftime("%d/%m/%Y")


def minutes_document(meeting):
    """The bytes of the .docx file of ``meeting`` (see the module's doc)."""
    doc = Document()
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(13)
    _heading(doc, meeting)
    _particulars(doc, meeting)
    _ranking(doc, meeting)
    _vote_count(doc, meeting)
    _proposals(doc, meeting)
    _conclusion(doc, meeting)
    _signatures(doc, meeting)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _centred(doc, text, bold=False, size=None):
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    return paragraph


def _section(doc, text):
    doc.add_paragraph().add_run(text).bold = True


def _table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.paragraphs[0].add_run(str(text)).bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row):
            cell.text = "" if value is None else str(value)
    return table


def _heading(doc, meeting):
    cluster = meeting["cluster"]
    _centred(doc, (cluster.get("force") or "").upper(), bold=True)
    _centred(doc, cluster["name"].upper(), bold=True)
    _centred(doc, MOTTO[0], bold=True)
    _centred(doc, MOTTO[1], bold=True)
    _centred(doc, "BIÊN BẢN HỌP", bold=True, size=15)
    _centred(doc, f"Sơ kết phong trào thi đua \"Vì an ninh Tổ quốc\" {meeting['period_label']} - {cluster['name']}")


def _particulars(doc, meeting):
    chair = meeting.get("chair")
    doc.add_paragraph(f"Thời gian: ngày {day(meeting.get('date'))}.")
    doc.add_paragraph(f"Địa điểm: {meeting.get('place') or BLANK}.")
    doc.add_paragraph(f"Chủ trì: {_person(chair)}.")
    doc.add_paragraph(f"Thư ký: {_person(meeting.get('secretary'))}.")
    _section(doc, "Thành phần tham dự")
    for person in meeting.get("people", []):
        doc.add_paragraph(_person(person), style="List Bullet")
    doc.add_paragraph("Các đơn vị trong cụm: " + "; ".join(
        f"{u['name']} ({ROLES.get(u['role'], u['role'])})" for u in meeting["units"]) + ".")
    summary = meeting["summary"]
    _section(doc, "I. Tình hình báo cáo của các đơn vị")
    handed_in = sum(summary["by_status"].values())
    doc.add_paragraph(f"{handed_in}/{summary['members']} đơn vị đã nộp báo cáo"
                      + (f"; nộp muộn: {', '.join(summary['late'])}" if summary["late"] else "")
                      + (f"; chưa nộp: {', '.join(summary['not_submitted'])}" if summary["not_submitted"] else "")
                      + ".")
    doc.add_paragraph("Kết quả khen thưởng trong kỳ của toàn cụm:")
    for line in commendation_lines(summary["commendations"]):
        doc.add_paragraph(line, style="List Bullet")


def _ranking(doc, meeting):
    ranking, levels = meeting.get("ranking"), meeting.get("levels")
    _section(doc, "II. Kết quả chấm điểm, xếp hạng và xếp loại")
    if not ranking or not ranking.get("table"):
        doc.add_paragraph("Chưa có bảng xếp hạng.")
        return
    _table(doc, ["Hạng", "Đơn vị", "Tổng điểm", "Xếp loại"],
           [[r["rank"], r.get("unit_name") or r["unit"], f"{r['total']:g}", class_name(r.get("class"), levels)]
            for r in ranking["table"]])
    leader = next((r for r in ranking["table"] if r["unit"] == ranking.get("leader")), None)
    doc.add_paragraph(f"Đơn vị dẫn đầu cụm: {leader['unit_name'] if leader else 'chưa xác định'} "
                      f"({LEADER_STATUS.get(ranking.get('leader_status'), ranking.get('leader_status'))}).")


def _vote_count(doc, meeting):
    count = meeting.get("vote_count")
    _section(doc, "III. Kết quả kiểm phiếu")
    if count is None:
        doc.add_paragraph("Hội nghị chưa kết thúc biểu quyết.")
        return
    header, rows, totals = vote_count_rows(count, meeting.get("levels"))
    for label, value in totals:
        doc.add_paragraph(f"{label}: {value}.")
    if rows:
        _table(doc, header, rows)
    doc.add_paragraph("Phiếu kín: biên bản chỉ ghi số phiếu, không ghi phiếu của đơn vị nào.")


def _proposals(doc, meeting):
    proposals = meeting["proposals"]
    _section(doc, "IV. Đề nghị khen thưởng")
    if not proposals["items"]:
        doc.add_paragraph("Chưa có đề nghị khen thưởng.")
        return
    header, rows = proposal_rows(proposals)
    _table(doc, header, rows)
    doc.add_paragraph("Tổng hợp đề nghị (trừ đề nghị không được duyệt):")
    for line in commendation_lines(proposals["rollup"]):
        doc.add_paragraph(line, style="List Bullet")


def _conclusion(doc, meeting):
    conclusion = meeting.get("conclusion")
    _section(doc, "V. Kết luận của đồng chí chủ trì")
    doc.add_paragraph(conclusion["text"] if conclusion and conclusion.get("text") else BLANK)
    doc.add_paragraph(f"Biên bản kết thúc vào ngày {day(meeting.get('date'))}, đã thông qua hội nghị.")


def _signatures(doc, meeting):
    table = doc.add_table(rows=3, cols=2)
    for column, (role, person) in enumerate((("THƯ KÝ", meeting.get("secretary")),
                                              ("CHỦ TRÌ", meeting.get("chair")))):
        table.cell(0, column).paragraphs[0].add_run(role).bold = True
        table.cell(1, column).text = "(Ký, ghi rõ họ tên)\n\n\n"
        table.cell(2, column).paragraphs[0].add_run((person or {}).get("name") or BLANK).bold = True
        for row in range(3):
            table.cell(row, column).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _person(person):
    if not person:
        return BLANK
    return f"Đồng chí {person['name']}, {person['title']}" if person.get("title") else person["name"]
