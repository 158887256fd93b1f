"""Rules for a unit's periodic report (báo cáo định kỳ), free of any framework.

At this stage a report carries the unit's self-assessed score per criterion; the
criteria template, narrative sections, commendations and the review lifecycle
build on it.
"""
import math
import re
import unicodedata

from thidua.errors import ValidationFailed

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_CRITERIA = 200
MAX_SCORE = 1000.0
FIELDS = {"unit", "period", "scores"}

# Periods in which a unit may still hand in its report; after the deadline it is
# accepted and flagged late, never refused.
ACCEPTING_STATES = {"OPEN", "CLOSED"}


def _code(payload, name, problems):
    value = payload.get(name)
    if value is None:
        problems[name] = "required"
    elif not isinstance(value, str):
        problems[name] = "must be a string code, e.g. \"U01\""
    else:
        value = unicodedata.normalize("NFC", value.strip())
        if not CODE.match(value):
            problems[name] = "letters, digits, '.', '_' or '-', at most 64 characters"
        return value
    return None


def validate_submission(payload):
    """The clean form of a submitted report, or :class:`ValidationFailed` naming each bad field."""
    if not isinstance(payload, dict):
        raise ValidationFailed("The report must be a JSON object with unit, period and scores.")
    problems = {}
    unknown = sorted(set(payload) - FIELDS)
    for name in unknown:
        problems[name] = "unknown field"
    unit = _code(payload, "unit", problems)
    period = _code(payload, "period", problems)
    scores = payload.get("scores")
    clean_scores = {}
    if scores is None:
        problems["scores"] = "required: an object of criterion code -> self-assessed points"
    elif not isinstance(scores, dict) or not scores:
        problems["scores"] = "must be a non-empty object of criterion code -> points"
    elif len(scores) > MAX_CRITERIA:
        problems["scores"] = f"at most {MAX_CRITERIA} criteria"
    else:
        for criterion, points in scores.items():
            key = f"scores.{criterion}"
            if not CODE.match(criterion):
                problems[key] = "criterion codes are letters, digits, '.', '_' or '-'"
            elif isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points):
                problems[key] = "must be a number"
            elif not 0 <= points <= MAX_SCORE:
                problems[key] = f"must be between 0 and {MAX_SCORE:g}"
            else:
                clean_scores[criterion] = points
    if problems:
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        raise ValidationFailed(f"The report has invalid fields: {listed}.", {"fields": problems})
    return {"unit": unit, "period": period, "scores": clean_scores}


def total(scores):
    # Rounded to hundredths: a sum of decimal points must not print as 87.49999999.
    return round(sum(scores.values()), 2)


def is_late(submitted_at, deadline):
    return deadline is not None and submitted_at > deadline
