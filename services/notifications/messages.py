"""What each event means to a person, in Vietnamese. Pure: no I/O."""
import re

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


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


def render(event):
    """``(kind, title, body, link)`` for an event, or ``None`` if it tells nobody anything."""
    data = event["data"]
    if "cluster" not in data or "period" not in data:
        return None
    period = period_label(data["period"])
    ranking_link = f"/api/v1/clusters/{data['cluster']}/periods/{data['period']}/ranking"
    if event["type"] in ("report.submitted.v1", "report.resubmitted.v1"):
        late = " (nộp muộn)" if data["late"] else ""
        verb = "đã nộp lại" if event["type"] == "report.resubmitted.v1" else "đã nộp"
        total = sum(data["self_scores"].values())
        return ("report.submitted",
                f"{data['unit_name']} {verb} báo cáo {period}{late}",
                f"{data['unit_name']} ({data['unit']}) thuộc {data['cluster_name']} {verb} báo cáo thi đua "
                f"{period}{late}, tổng điểm tự chấm {points(total)}.",
                f"/api/v1/reports/{data['report_id']}")
    if event["type"] == "ranking.updated.v1":
        names = {row["unit"]: row["unit_name"] for row in data["table"]}
        lead = names.get(data["leader"]) if data["leader"] else None
        if data["leader_changed"] and lead:
            title = f"{data['cluster_name']} {period}: {lead} dẫn đầu"
        else:
            title = f"{data['cluster_name']} {period}: bảng xếp hạng cập nhật"
        top = "; ".join(f"{row['rank']}. {row['unit_name']} {points(row['total'])}" for row in data["table"][:3])
        leading = f"Đơn vị dẫn đầu: {lead}." if lead else "Chưa xác định đơn vị dẫn đầu (đồng điểm hoặc chưa có)."
        return ("ranking.updated", title,
                f"Bảng xếp hạng {data['cluster_name']} {period} (phiên bản {data['version']}): {top}. {leading}",
                ranking_link)
    return None
