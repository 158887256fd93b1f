"""What each notice says, in Vietnamese, per kind and channel. Pure: no I/O.

Each kind has an inbox text (a title and a short body) and an e-mail (subject, greeting,
body, the link to the page); a webhook carries the same facts as JSON. Only Vietnamese
templates exist: a person who prefers another language gets these (the fallback).
"""
import re

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
LANGUAGES = ("vi",)

TEMPLATES = {
    "report.submitted": ("{unit_name} đã nộp báo cáo {period_label}{late}",
                         "{unit_name} ({unit}) thuộc {cluster_name} đã nộp báo cáo thi đua {period_label}{late}, "
                         "tổng điểm tự chấm {self_total}."),
    "report.resubmitted": ("{unit_name} đã nộp lại báo cáo {period_label}{late}",
                           "{unit_name} ({unit}) thuộc {cluster_name} đã nộp lại báo cáo thi đua {period_label}"
                           "{late} sau khi bổ sung, tổng điểm tự chấm {self_total}."),
    "report.returned": ("Báo cáo {period_label} của {unit_name} bị trả lại",
                        "Cụm trưởng {cluster_name} đã trả lại báo cáo {period_label} của {unit_name}. "
                        "Lý do: {reason}. Đề nghị đơn vị bổ sung và nộp lại."),
    "vote.opened": ("{cluster_name} mở bỏ phiếu xếp loại {period_label}",
                    "Phiên bỏ phiếu xếp loại phong trào thi đua {period_label} của {cluster_name} đã mở. "
                    "Mỗi đơn vị thành viên bỏ một phiếu."),
    "vote.closed": ("{cluster_name} kết thúc bỏ phiếu {period_label}",
                    "Phiên bỏ phiếu xếp loại {period_label} của {cluster_name} đã kết thúc với "
                    "{ballots_cast}/{eligible} phiếu."),
    "ranking.changed": ("{cluster_name} {period_label}: {headline}",
                        "Bảng xếp hạng {cluster_name} {period_label} (phiên bản {version}): {top}. {leading}"
                        "{class_changes}"),
    "ranking.updated": ("{cluster_name} {period_label}: bảng xếp hạng cập nhật",
                        "Bảng xếp hạng {cluster_name} {period_label} (phiên bản {version}): {top}. {leading}"),
    "results.published": ("Kết quả thi đua {period_label} đã công bố",
                           "Kỳ thi đua {period_label} đã kết thúc; kết quả xếp loại đã được công bố."),
    "deadline.approaching": ("Còn {hours_label} đến hạn nộp báo cáo {period_label}",
                             "{unit_label} chưa nộp báo cáo thi đua {period_label}. Hạn nộp: {deadline}."),
    "deadline.missed": ("Quá hạn nộp báo cáo {period_label}",
                        "{missing_text} Hạn nộp đã qua: {deadline}. Báo cáo nộp muộn vẫn được tiếp nhận "
                        "và được ghi nhận là nộp muộn."),
    "proposal.submitted": ("Đề nghị khen thưởng {period_label} của {cluster}: {recipient}",
                           "Cụm {cluster} trình đề nghị {award} cho {recipient} ({period_label}); "
                           "đề nghị Thường trực thi đua thẩm định."),
    "proposal.decided": ("Đề nghị {award} cho {recipient}: {decision}",
                         "Thường trực thi đua {decision} đề nghị {award} cho {recipient} ({period_label}).{reason_text}"),
    "digest": ("Tổng hợp {count} cập nhật bảng xếp hạng",
               "{lines}"),
}


def period_label(code):
    """``2021-Q1`` -> ``Quý I/2021``; ``2021-H1`` -> ``6 tháng đầu năm 2021``; ``2021`` -> ``Năm 2021``."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", code)
    if match:
        return f"Quý {ROMAN[match.group(2)]}/{match.group(1)}"
    match = re.fullmatch(r"(\d{4})-H([12])", code)
    if match:
        return f"6 tháng {'đầu' if match.group(2) == '1' else 'cuối'} năm {match.group(1)}"
    if re.fullmatch(r"\d{4}", code):
        return f"Năm {code}"
    return code


def points(value):
    """Vietnamese number style: decimal comma, no trailing zeros (87,5)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def when(iso):
    """``2021-04-10T10:00:00.000Z`` -> ``17:00 ngày 10/04/2021`` (giờ Việt Nam, UTC+7)."""
    from datetime import datetime, timedelta, timezone
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=7)))
    return moment.strftime("%H:%M ngày %d/%m/%Y")


def facts(kind, data):
    """Everything a template of ``kind`` may name, from the event's (or reminder's) data."""
    out = {k: v for k, v in data.items() if isinstance(v, (str, int, float))}
    out["period_label"] = period_label(data.get("period", ""))
    out["late"] = " (nộp muộn)" if data.get("late") else ""
    if "self_scores" in data:
        out["self_total"] = points(sum(data["self_scores"].values()))
    if "tally" in data:
        out.update(ballots_cast=data["tally"]["ballots_cast"], eligible=data["tally"]["eligible"])
    if "table" in data:
        names = {row["unit"]: row["unit_name"] for row in data["table"]}
        lead = names.get(data["leader"]) if data.get("leader") else None
        out["top"] = "; ".join(f"{r['rank']}. {r['unit_name']} {points(r['total'])}" for r in data["table"][:3])
        out["leading"] = f"Đơn vị dẫn đầu: {lead}." if lead else "Chưa xác định đơn vị dẫn đầu."
        out["headline"] = f"{lead} dẫn đầu" if data.get("leader_changed") and lead else "thay đổi xếp loại"
        changes = [f"{names.get(c['unit'], c['unit'])}: {c['from'] or '—'} → {c['to'] or '—'}"
                   for c in data.get("class_changes", [])]
        out["class_changes"] = f" Thay đổi xếp loại: {'; '.join(changes)}." if changes else ""
    if "deadline" in data:
        out["deadline"] = when(data["deadline"])
    if kind == "deadline.approaching":
        hours = data["offset_hours"]
        out["hours_label"] = f"{hours // 24} ngày" if hours % 24 == 0 else f"{hours} giờ"
        out["unit_label"] = f"Đơn vị {data['unit_name']}"
    if kind == "deadline.missed":
        missing = data.get("missing_names") or []
        out["missing_text"] = (f"{data['unit_name']} chưa nộp báo cáo thi đua {out['period_label']}."
                               if data.get("unit") else
                               f"{data['cluster_name']}: các đơn vị chưa nộp báo cáo: {', '.join(missing)}.")
    out.setdefault("reason", data.get("reason", ""))
    if kind == "proposal.decided":
        out["decision"] = "đã duyệt" if data["state"] == "APPROVED" else "không duyệt"
        out["reason_text"] = f" Ý kiến: {data['reason']}." if data.get("reason") else ""
    return out


def link(kind, data):
    if kind.startswith("report."):
        return f"/api/v1/reports/{data['report_id']}"
    if kind.startswith("proposal."):
        return f"/api/v1/clusters/{data['cluster']}/periods/{data['period']}/proposals"
    if kind.startswith("vote."):
        return f"/api/v1/clusters/{data['cluster']}/periods/{data['period']}/vote"
    if data.get("cluster") and data.get("period"):
        return f"/api/v1/clusters/{data['cluster']}/periods/{data['period']}/ranking"
    return "/api/v1/periods"


def inbox(kind, data):
    """``(title, body, link)`` of the in-app notice."""
    title, body = TEMPLATES[kind]
    values = facts(kind, data)
    return title.format(**values), body.format(**values), link(kind, data)


def email(kind, data, person_name, public_url):
    """``(subject, text)`` of the e-mail."""
    title, body, path = inbox(kind, data)
    text = (f"Kính gửi đồng chí {person_name},\n\n{body}\n\nXem chi tiết: {public_url}{path}\n\n"
            "—\nHệ thống quản lý phong trào thi đua \"Vì an ninh Tổ quốc\" (thư tự động, vui lòng không trả lời)")
    return title, text


def webhook(kind, data, event_id):
    """The JSON a webhook receives."""
    title, body, path = inbox(kind, data)
    return {"kind": kind, "title": title, "body": body, "link": path, "event_id": event_id,
            "data": data}
