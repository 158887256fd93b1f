"""What a unit's periodic report (báo cáo định kỳ) may contain, checked against the
period's criteria template. Pure: no I/O.

A report holds, per criterion of the template, the indicator value and the unit's
self-assessed score (tự chấm); the three narrative sections; the commendations
received; the violations and discipline incidents; and references to evidence files.
"""
import math
import re
import unicodedata
from datetime import date

import thidua.criterion_types as criterion_types
from thidua.criteria import criteria_of, score_range
from thidua.criterion_types.per_occurrence import commendation_kind
from thidua.errors import Problems, ValidationFailed

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_TEXT = 20_000
MAX_LIST = 500
SECTIONS = ("professional", "movement", "force_building")  # chuyên môn; phong trào; xây dựng lực lượng, hậu cần, kỹ thuật
COMMENDATION_FORMS = {  # form -> awarding levels it can come from
    "BANG_KHEN": ("GOVERNMENT", "MINISTRY", "PROVINCE"),   # Bằng khen: Chính phủ / Bộ Công an / UBND tỉnh
    "GIAY_KHEN": ("DIRECTOR",),                            # Giấy khen của Giám đốc Công an tỉnh
    "BIEU_DUONG": ("DIRECTOR",),                           # biểu dương
    # Titles (danh hiệu thi đua); each goes to collectives or to individuals only (TITLE_KINDS).
    "CO_THI_DUA": ("GOVERNMENT", "MINISTRY", "PROVINCE"),  # Cờ thi đua
    "DON_VI_QUYET_THANG": ("MINISTRY", "DIRECTOR"),        # Đơn vị Quyết thắng
    "DON_VI_TIEN_TIEN": ("DIRECTOR",),                     # Đơn vị tiên tiến
    "CHIEN_SI_THI_DUA_CO_SO": ("DIRECTOR",),               # Chiến sĩ thi đua cơ sở
    "CHIEN_SI_TIEN_TIEN": ("DIRECTOR",),                   # Chiến sĩ tiên tiến
}
FORM_NAMES = {"BANG_KHEN": "Bằng khen", "GIAY_KHEN": "Giấy khen", "BIEU_DUONG": "Biểu dương",
              "CO_THI_DUA": "Cờ thi đua", "DON_VI_QUYET_THANG": "Đơn vị Quyết thắng",
              "DON_VI_TIEN_TIEN": "Đơn vị tiên tiến", "CHIEN_SI_THI_DUA_CO_SO": "Chiến sĩ thi đua cơ sở",
              "CHIEN_SI_TIEN_TIEN": "Chiến sĩ tiên tiến"}
LEVEL_NAMES = {"GOVERNMENT": "Chính phủ", "MINISTRY": "Bộ Công an", "PROVINCE": "UBND tỉnh",
               "DIRECTOR": "Giám đốc Công an tỉnh"}


def award_name(form, level):
    """'Bằng khen UBND tỉnh', 'Cờ thi đua Bộ Công an'."""
    return f"{FORM_NAMES.get(form, form)} {LEVEL_NAMES.get(level, level)}"


TITLE_KINDS = {"CO_THI_DUA": "collective", "DON_VI_QUYET_THANG": "collective", "DON_VI_TIEN_TIEN": "collective",
               "CHIEN_SI_THI_DUA_CO_SO": "individual", "CHIEN_SI_TIEN_TIEN": "individual"}
# Who a commendation went to: collectives (tập thể), individuals (cá nhân), or a count the source
# does not split ("19 lượt đơn vị, cá nhân"), kept whole rather than split by guess.
KINDS = ("collective", "individual", "mixed")
MAX_RECIPIENTS = 500
SEVERITIES = (1, 2, 3, 4)  # 1 nhắc nhở ... 4 kỷ luật nặng; what each caps is the template's business
CONTENT_FIELDS = ("values", "self_scores", "sections", "commendations", "violations", "evidence")


def text(value, field, problems, limit=MAX_TEXT, required=False):
    if value is None:
        if required:
            problems.add(field, "required")
        return None
    if not isinstance(value, str):
        problems.add(field, "must be text")
        return None
    value = unicodedata.normalize("NFC", value.strip())  # Vietnamese arrives composed or decomposed
    if len(value) > limit:
        problems.add(field, f"at most {limit} characters")
    if required and not value:
        problems.add(field, "required")
    return value


def code(value, field, problems, required=True):
    value = text(value, field, problems, limit=64, required=required)
    if value and not CODE.match(value):
        problems.add(field, "letters, digits, '.', '_' or '-', at most 64 characters")
    return value


def number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def validate_identity(payload, problems):
    if not isinstance(payload, dict):
        raise ValidationFailed("The report must be a JSON object.")
    return code(payload.get("unit"), "unit", problems), code(payload.get("period"), "period", problems)


def _per_criterion(mapping, name, what, template, problems, check):
    """``{criterion code: clean}`` of a map keyed by the template's criteria; ``check(criterion,
    value, field)`` cleans one entry or returns ``None`` after naming its problem."""
    clean = {}
    if not isinstance(mapping, dict):
        problems.add(name, f"must be an object of criterion code -> {what}")
        return clean
    criteria = criteria_of(template)
    for key, value in mapping.items():
        field = f"{name}.{key}"
        criterion = criteria.get(key)
        if criterion is None:
            problems.add(field, f"unknown criterion for template {template['id']} v{template['version']}")
            continue
        checked = check(criterion, value, field, problems)
        if checked is not None:
            clean[key] = checked
    return clean


def _in_range(criterion, points, field, problems):
    low, high = score_range(criterion)
    if not low <= points <= high:
        problems.add(field, f"must be between {low:g} and {high:g}")
        return False
    return True


def _value(criterion, value, field, problems):
    """The value's shape is its criterion type's (``thidua/criterion_types``)."""
    problem = criterion_types.of(criterion).value.problem(value, criterion["type"])
    if problem is not None:
        problems.add(field, problem)
        return None
    return dict(value)


def _self_score(criterion, points, field, problems):
    if not number(points):
        problems.add(field, "must be a number")
        return None
    return points if _in_range(criterion, points, field, problems) else None


def _review(criterion, entry, field, problems):
    if not isinstance(entry, dict) or not number(entry.get("points")):
        problems.add(field, "must be {\"points\": number, \"comment\": text}")
        return None
    _only(entry, field, problems, ("points", "comment"))
    if not _in_range(criterion, entry["points"], f"{field}.points", problems):
        return None
    return {"points": entry["points"], "comment": text(entry.get("comment"), f"{field}.comment", problems, 2000)}


def validate_content(payload, template, problems):
    """The clean content of a report for ``template``; unknown criteria and fields are refused."""
    clean = {"values": _per_criterion(payload.get("values", {}), "values", "value", template, problems,
                                      _value),
             "self_scores": _per_criterion(payload.get("self_scores", {}), "self_scores", "points", template,
                                           problems, _self_score)}

    sections = payload.get("sections", {})
    clean["sections"] = {}
    if not isinstance(sections, dict):
        problems.add("sections", f"must be an object with {', '.join(SECTIONS)}")
    else:
        for key, value in sections.items():
            if key not in SECTIONS:
                problems.add(f"sections.{key}", f"unknown section; use {', '.join(SECTIONS)}")
            else:
                clean["sections"][key] = text(value, f"sections.{key}", problems)

    clean["commendations"] = _list(payload, "commendations", problems, _commendation)
    clean["violations"] = _list(payload, "violations", problems, _violation)
    clean["evidence"] = _list(payload, "evidence", problems, _evidence)
    return clean


def _list(payload, name, problems, item):
    items = payload.get(name, [])
    if not isinstance(items, list):
        problems.add(name, "must be a list")
        return []
    if len(items) > MAX_LIST:
        problems.add(name, f"at most {MAX_LIST} entries")
        return []
    clean = []
    for index, entry in enumerate(items):
        field = f"{name}[{index}]"
        if not isinstance(entry, dict):
            problems.add(field, "must be an object")
            continue
        clean.append(item(entry, field, problems))
    return clean


def _only(entry, field, problems, allowed):
    for key in sorted(set(entry) - set(allowed)):
        problems.add(f"{field}.{key}", "unknown field")


def _commendation(entry, field, problems):
    _only(entry, field, problems, ("form", "level", "collective", "kind", "recipients", "decision_no",
                                   "decision_date", "count"))
    form, level = entry.get("form"), entry.get("level")
    if form not in COMMENDATION_FORMS:
        problems.add(f"{field}.form", f"one of {', '.join(COMMENDATION_FORMS)}")
    elif level not in COMMENDATION_FORMS[form]:
        problems.add(f"{field}.level", f"a {form} comes from {', '.join(COMMENDATION_FORMS[form])}")
    kind = _kind(entry, form, field, problems)
    recipients = _recipients(entry.get("recipients"), f"{field}.recipients", problems)
    count = entry.get("count", len(recipients) if recipients else 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        problems.add(f"{field}.count", "a whole number from 1 to 10000")
    elif recipients and count != len(recipients):
        problems.add(f"{field}.count", f"{count} does not match the {len(recipients)} recipients named")
    decision_date = entry.get("decision_date")
    if decision_date is not None:
        try:
            date.fromisoformat(decision_date)
        except (TypeError, ValueError):
            problems.add(f"{field}.decision_date", "a date like 2021-03-15")
    clean = {"form": form, "level": level, "collective": kind == "collective" if kind != "mixed" else None,
             "kind": kind, "count": count,
             "decision_no": text(entry.get("decision_no"), f"{field}.decision_no", problems, limit=100),
             "decision_date": decision_date}
    if recipients:
        clean["recipients"] = recipients
    return clean


def _kind(entry, form, field, problems):
    """The commendation's kind from ``kind`` or, as reports always sent it, ``collective``."""
    kind, collective = entry.get("kind"), entry.get("collective")
    if kind is None and isinstance(collective, bool):
        kind = "collective" if collective else "individual"
    if kind is None:
        problems.add(f"{field}.collective", "true for a collective (tập thể), false for individuals (cá nhân); "
                                            "or kind: mixed for a count not split between them")
        return None
    if kind not in KINDS:
        problems.add(f"{field}.kind", "collective (tập thể), individual (cá nhân) or mixed (lượt đơn vị, cá nhân, "
                                      "not split)")
        return None
    if collective is not None and (not isinstance(collective, bool) or kind != ("collective" if collective
                                                                                 else "individual")):
        problems.add(f"{field}.collective", f"does not agree with kind {kind}; send one of them")
    if form in TITLE_KINDS and kind != TITLE_KINDS[form]:
        problems.add(f"{field}.kind", f"a {form} goes to {TITLE_KINDS[form]}s only")
    return kind


def _recipients(value, field, problems):
    """Named recipients (người, tập thể được khen), optional."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_RECIPIENTS:
        problems.add(field, f"a list of at most {MAX_RECIPIENTS} names")
        return []
    return [text(name, f"{field}[{i}]", problems, limit=300, required=True) for i, name in enumerate(value)]


def _violation(entry, field, problems):
    _only(entry, field, problems, ("severity", "description", "date"))
    if entry.get("severity") not in SEVERITIES or isinstance(entry.get("severity"), bool):
        problems.add(f"{field}.severity", "a whole number from 1 (least) to 4 (most severe)")
    return {"severity": entry.get("severity"),
            "description": text(entry.get("description"), f"{field}.description", problems, 2000, True),
            "date": text(entry.get("date"), f"{field}.date", problems, 10)}


def _evidence(entry, field, problems):
    _only(entry, field, problems, ("file_id", "name"))
    return {"file_id": code(entry.get("file_id"), f"{field}.file_id", problems),
            "name": text(entry.get("name"), f"{field}.name", problems, 255)}


def self_total(self_scores):
    # Rounded to hundredths: a sum of decimal points must not print as 87.49999999.
    return round(sum(self_scores.values()), 2)


def is_late(submitted_at, deadline):
    return deadline is not None and submitted_at > deadline


def commendation_totals(reports):
    """Cluster-wide commendation figures: ``{form: {level: {"collective": n, "individual": n}}}``,
    plus ``"mixed": n`` where counts were not split between collectives and individuals (lượt)."""
    totals = {}
    for report in reports:
        for c in report.get("commendations", []):
            bucket = totals.setdefault(c["form"], {}).setdefault(c["level"], {"collective": 0, "individual": 0})
            kind = commendation_kind(c)
            bucket[kind] = bucket.get(kind, 0) + c["count"]
    return totals


def validate_review(payload, template, problems):
    """The cluster lead's reviewed scores: ``{criterion: {"points": x, "comment": "..."}}``."""
    return _per_criterion(payload, "review", "{points, comment}", template, problems, _review)
