"""What each notice says, in Vietnamese, per kind and channel. Pure: no I/O.

Each kind has an inbox text (a title and a short body) and an e-mail (subject, greeting,
body, the link to the page); a webhook carries the same facts as JSON. Only Vietnamese
templates exist: a person who prefers another language gets these (the fallback). A period is
named by its label ("Quý I/2021"), never by its code; dates read dd/mm/yyyy (Vietnam time).
"""
import re
from datetime import datetime, timedelta, timezone

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}
LANGUAGES = ("vi",)

TEMPLATES = {
    "report.submitted": ("{unit_name} đã nộp báo cáo {period_label}{late}",
                         "{unit_name} ({unit}) thuộc {cluster_name} đã nộp báo cáo thi đua {period_label}{late}, "
                         "tổng điểm tự chấm {self_total}."),
    "report.resubmitted": ("{unit_name} đã nộp lại báo cáo {period_label}{late}",
                           "{unit_name} ({unit}) thuộc {cluster_name} đã nộp lại báo cáo thi đua {period_label}"
                           "{late} sau khi bổ sung, tổng điểm tự chấm {self_total}."),
    "report.late": ("{unit_name} nộp muộn báo cáo {period_label}",
                    "{unit_name} ({unit}) thuộc {cluster_name} đã nộp báo cáo thi đua {period_label} "
                    "lúc {submitted}, sau hạn nộp{deadline_text}."),
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
    "results.published": ("{cluster_name}: công bố kết quả thi đua {period_label}",
                           "{cluster_name} đã kết thúc kỳ thi đua {period_label}; kết quả xếp loại đã được "
                           "công bố. {leading}{conclusion_text}"),
    "results.reopened": ("{cluster_name}: mở lại kết quả thi đua {period_label}",
                         "Kết quả thi đua {period_label} của {cluster_name} đã được mở lại để điều chỉnh"
                         "{by_text}. Lý do: {reason}. Kết quả đã công bố không còn là kết quả cuối cùng; "
                         "kết quả mới sẽ được thông báo khi công bố lại."),
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


def label_of(data):
    """The period's label as the event (or reporting status) gives it, unless that is only its code."""
    code, label = data.get("period", ""), data.get("label")
    return label if label and label != code else period_label(code)


def points(value):
    """Vietnamese number style: decimal comma, no trailing zeros (87,5)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def when(iso):
    """``2021-04-10T10:00:00.000Z`` -> ``17:00 ngày 10/04/2021`` (giờ Việt Nam, UTC+7)."""
    return _vietnam(iso).strftime("%H:%M ngày %d/%m/%Y")


def day(iso):
    """``2021-04-10T20:00:00.000Z`` -> ``11/04/2021`` (the date in Vietnam)."""
    return _vietnam(iso).strftime("%d/%m/%Y")


def _vietnam(iso):
    moment = iso if isinstance(iso, datetime) else datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(timezone(timedelta(hours=7)))


def leading(data):
    """``(unit, name)`` of the leading unit a ranking event names (``(None, None)`` if none)."""
    names = {row["unit"]: row["unit_name"] for row in data.get("table", [])}
    return data.get("leader"), names.get(data.get("leader"), data.get("leader"))


def leading_text(name, status=None):
    if not name:
        return "Chưa xác định đơn vị dẫn đầu."
    return f"Đơn vị dẫn đầu: {name}{' (tạm thời)' if status == 'provisional' else ''}."


def names_deadline(kind):
    """Whether a notice of ``kind`` names its run's deadline."""
    return any("{deadline" in part for part in TEMPLATES.get(kind, ()))


def enriched(data, standing=None, run=None, person=None):
    """An event's data with what its notices name from notifications' own copies: the leading unit
    (``standing``: the latest ranking of the cluster's period), the chair and deadline of the run
    (``run``), and the name of who concluded or reopened (``person``)."""
    run, out = run or {}, dict(data)
    if standing:   # a ranking event names its own leading unit
        out.setdefault("leader_name", standing.get("leader_name"))
        out.setdefault("leader_status", standing.get("leader_status"))
    out.setdefault("chair", run.get("chair"))
    if run.get("deadline") and not data.get("deadline"):
        out["deadline"] = run["deadline"]
    if person:
        out["by_name"] = person.get("name") or person["_id"]
    return out


def facts(kind, data):
    """Everything a template of ``kind`` may name, from the event's (or reminder's) data."""
    out = {k: v for k, v in data.items() if isinstance(v, (str, int, float))}
    out["period_label"] = label_of(data)
    out["late"] = " (nộp muộn)" if data.get("late") else ""
    if "self_scores" in data:
        out["self_total"] = points(sum(data["self_scores"].values()))
    if "tally" in data:
        out.update(ballots_cast=data["tally"]["ballots_cast"], eligible=data["tally"]["eligible"])
    if "table" in data:
        names = {row["unit"]: row["unit_name"] for row in data["table"]}
        lead = leading(data)[1]
        out["top"] = "; ".join(f"{r['rank']}. {r['unit_name']} {points(r['total'])}" for r in data["table"][:3])
        out["leading"] = leading_text(lead, data.get("leader_status"))
        out["headline"] = _headline(data, lead)
        changes = [f"{names.get(c['unit'], c['unit'])}: {c['from'] or '—'} → {c['to'] or '—'}"
                   for c in data.get("class_changes", [])]
        out["class_changes"] = f" Thay đổi xếp loại: {'; '.join(changes)}." if changes else ""
    if data.get("deadline"):
        out["deadline"] = when(data["deadline"])
    out["deadline_text"] = f" ({out['deadline']})" if data.get("deadline") else ""
    out["submitted"] = when(data["submitted_at"]) if data.get("submitted_at") else "chưa rõ"
    if kind.startswith("results."):
        out.update(_results(data))
    if kind == "deadline.approaching":
        hours = data["offset_hours"]
        out["hours_label"] = f"{hours // 24} ngày" if hours % 24 == 0 else f"{hours} giờ"
        out["unit_label"] = f"Đơn vị {data['unit_name']}"
    if kind == "deadline.missed":
        missing = data.get("missing_names") or []
        out["missing_text"] = (f"{data['unit_name']} chưa nộp báo cáo thi đua {out['period_label']}."
                               if data.get("unit") else
                               f"{data['cluster_name']}, {out['period_label']}: các đơn vị chưa nộp báo cáo: "
                               f"{', '.join(missing)}.")
    out.setdefault("reason", data.get("reason", ""))
    if kind == "proposal.decided":
        out["decision"] = "đã duyệt" if data["state"] == "APPROVED" else "không duyệt"
        out["reason_text"] = f" Ý kiến: {data['reason']}." if data.get("reason") else ""
    return out


def _headline(data, lead):
    if data.get("leader_status") == "elected" and lead:
        return f"{lead} được bầu là đơn vị dẫn đầu"
    if data.get("leader_status") == "tie_revote":
        return "chưa bầu được đơn vị dẫn đầu, cần bỏ phiếu lại"
    return f"{lead} dẫn đầu" if data.get("leader_changed") and lead else "thay đổi xếp loại"


def _results(data):
    """What the results notices name: the cluster, the leading unit, the conclusion, who reopened."""
    conclusion = data.get("conclusion") or {}
    said = conclusion.get("text", "").strip()
    by = data.get("by_name") or conclusion.get("by") or data.get("by")
    dated = f" ngày {day(conclusion['at'])}" if conclusion.get("at") else ""
    return {"cluster_name": data.get("cluster_name") or "Các cụm thi đua",
            "leading": leading_text(data.get("leader_name")) if data.get("cluster") else "",
            "conclusion_text": f" Kết luận{f' của đồng chí {by}' if by else ''}{dated}: {said}" if said else "",
            "by_text": f" (đồng chí {by})" if by else ""}


def standing(data, at):
    """What notifications keeps of a ranking event (the newest wins): who leads the cluster's period,
    named in ``results.published``."""
    unit, name = leading(data)
    return {"_id": f"{data['cluster']}|{data['period']}", "version": data["version"], "leader": unit,
            "leader_name": name, "leader_status": data.get("leader_status"), "_at": at}


def digest_item(data):
    """What a minor ranking update leaves for the digest: the cluster, the period and who leads."""
    _, name = leading(data)
    return {"cluster": data["cluster"], "cluster_name": data["cluster_name"], "period": data["period"],
            "period_label": label_of(data), "version": data["version"],
            "leader_name": name, "leader_status": data.get("leader_status")}


def digest_lines(items):
    """One line per cluster and period, in the order they first came: how many updates, who leads
    now ("Cụm thi đua số 1, Quý I/2021: 3 cập nhật; dẫn đầu: Phòng Hậu cần (tạm thời)")."""
    groups = {}
    for item in items:
        groups.setdefault((item.get("cluster"), item.get("period"), item.get("line")), []).append(item)
    lines = []
    for (cluster, _, line), group in groups.items():
        if cluster is None:   # an update held before the digest was a list: its own sentence
            lines.extend(f"• {i['line']}" for i in group)
            continue
        last = max(group, key=lambda i: i["version"])
        leader = last["leader_name"] or "chưa xác định"
        status = " (tạm thời)" if last["leader_name"] and last["leader_status"] == "provisional" else ""
        lines.append(f"• {last['cluster_name']}, {last['period_label']}: {len(group)} cập nhật; "
                     f"dẫn đầu: {leader}{status}")
    return "\n".join(lines)


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
