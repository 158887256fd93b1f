"""The criteria template (bộ tiêu chí, thang điểm): the contract between submissions,
which publishes templates, and ranking, which scores reports against them. Pure: the
standard library only.

A template is a tree of groups and criteria, each criterion with a maximum score, a
type and the legal or regulatory source it comes from; plus the classification levels
with their thresholds and discipline caps, and the voting rules. Published templates
are immutable: a change is a new version. What each criterion type is configured
with, and how it scores, is its module in ``thidua/criterion_types/``.
"""
from dataclasses import dataclass
from fractions import Fraction

import thidua.criterion_types as criterion_types
from thidua.criterion_types.base import MAX, TemplateInvalid, fmt, is_number  # noqa: F401 (the contract's vocabulary)
from thidua.criterion_types.registry import COMMON_FIELDS

DEFAULT_VOTING = {"threshold": 0.5, "quorum": 0.5}
TEMPLATE_FIELDS = ("id", "name", "source", "scale", "groups", "classification", "voting", "proposal_rules")
GROUP_FIELDS = ("code", "name", "criteria")
COMMON_CRITERION_FIELDS = tuple(COMMON_FIELDS)


def fraction(x, what):
    """An exact fraction from a number or a ``"p/q"`` string, so 4 of 6 ballots meet "2/3"."""
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except (ValueError, ZeroDivisionError):
            raise TemplateInvalid(f"voting: {what} {x!r} is not a number or a fraction like '2/3'") from None
    if not is_number(x):
        raise TemplateInvalid(f"voting: {what} must be a number or a fraction like '2/3', got {x!r}")
    # repr() is the shortest text that round-trips, so 0.6 becomes 3/5, not its binary approximation.
    return Fraction(repr(float(x)))



@dataclass(frozen=True)
class Contract:
    """A checked template, in the shape its readers need."""

    groups: list        # group codes, in order
    criteria: list      # (code, group code, criterion) in order
    levels: list        # level codes, best first
    minimums: list      # their minimum totals, strictly descending
    caps: list          # (min_severity, level index)
    threshold: Fraction
    quorum: Fraction

    def level_for(self, total):
        """Index of the class by score; a total below every minimum gets the worst level."""
        for index, minimum in enumerate(self.minimums):
            if minimum <= total:
                return index
        return len(self.levels) - 1

    def discipline_cap(self, violations):
        """Index of the strictest cap any violation triggers, or None."""
        severities = [v.get("severity") for v in violations if isinstance(v, dict)]
        triggered = [level for minimum, level in self.caps
                     if any(is_number(s) and s >= minimum for s in severities)]
        return max(triggered) if triggered else None


def _unique(codes, what):
    seen = set()
    for code in codes:
        if code in seen:
            raise TemplateInvalid(f"template: duplicate {what} code {code!r}")
        seen.add(code)


def _check_code(item, what):
    if not isinstance(item, dict):
        raise TemplateInvalid(f"template: each {what} must be an object, got {item!r}")
    code = item.get("code")
    if not isinstance(code, str) or not code:
        raise TemplateInvalid(f"template: a {what} has no code: {item!r}")
    return code


def _validate_criterion(criterion):
    code = _check_code(criterion, "criterion")
    kind = criterion_types.get(criterion.get("type"))
    if kind is None:
        raise TemplateInvalid(f"criterion {code!r}: unknown type {criterion.get('type')!r} "
                              f"(expected one of: {', '.join(criterion_types.names())})")
    unknown = sorted(set(criterion) - set(COMMON_CRITERION_FIELDS) - set(kind.settings))
    if unknown:
        raise TemplateInvalid(f"criterion {code!r}: {', '.join(map(repr, unknown))} is not a setting of a "
                              f"{kind.name} criterion")
    MAX.check(criterion, "max")
    kind.check(criterion)


def _coded(items, what, refusal):
    """A non-empty list of items, each with its own code: the items and their codes."""
    if not isinstance(items, list) or not items:
        raise TemplateInvalid(refusal)
    codes = [_check_code(item, what) for item in items]
    _unique(codes, what)
    return items, codes


def _validate_classification(classification):
    if not isinstance(classification, dict):
        raise TemplateInvalid("template: 'classification' with its 'levels' is required")
    levels, codes = _coded(classification.get("levels"), "level",
                           "classification: 'levels' must be a non-empty list, best first")
    for level in levels:
        if not is_number(level.get("min")):
            raise TemplateInvalid(f"classification: level {level['code']!r} needs a numeric 'min'")
    for better, worse in zip(levels, levels[1:]):
        if not worse["min"] < better["min"]:
            raise TemplateInvalid(f"classification: level minimums must be strictly descending (best first): "
                                  f"{worse['code']!r} min {fmt(worse['min'])} is not below "
                                  f"{better['code']!r} min {fmt(better['min'])}")
    caps = classification.get("discipline_caps") or []
    if not isinstance(caps, list):
        raise TemplateInvalid("classification: 'discipline_caps' must be a list")
    for cap in caps:
        if not isinstance(cap, dict) or cap.get("max_level") not in codes:
            name = cap.get("max_level") if isinstance(cap, dict) else cap
            raise TemplateInvalid(f"classification: discipline cap names unknown level {name!r} "
                                  f"(levels: {', '.join(codes)})")
        if not is_number(cap.get("min_severity")):
            raise TemplateInvalid(f"classification: discipline cap {cap['max_level']!r} needs a numeric "
                                  "'min_severity'")
    return codes, caps


def _validate_voting(voting):
    voting = {**DEFAULT_VOTING, **(voting or {})}
    threshold = fraction(voting["threshold"], "threshold")
    quorum = fraction(voting["quorum"], "quorum")
    if not 0 < threshold <= 1:
        raise TemplateInvalid(f"voting: threshold must be in (0, 1], got {voting['threshold']!r}")
    if not 0 <= quorum <= 1:
        raise TemplateInvalid(f"voting: quorum must be in [0, 1], got {voting['quorum']!r}")
    return threshold, quorum


def validate_template(template):
    """Check a criteria template (bộ tiêu chí); raise :class:`TemplateInvalid` (a ``ValueError``)
    saying what to change, else return its :class:`Contract`.

    Rejects: duplicate group, criterion or level codes; an unknown criterion type or
    setting; a missing or non-positive ``max``; a ``cap`` above ``max`` (per_occurrence,
    bonus, penalty); a ``target`` <= 0; level minimums not strictly descending; a
    discipline cap naming an unknown level; a threshold outside (0, 1] or a quorum
    outside [0, 1] (both numbers or fractions like ``"2/3"``).
    """
    if not isinstance(template, dict):
        raise TemplateInvalid("template: must be an object")
    groups, group_codes = _coded(template.get("groups"), "group",
                                 "template: 'groups' must be a non-empty list of groups with their criteria")
    criteria = []
    for group in groups:
        items = group.get("criteria") or []
        if not isinstance(items, list):
            raise TemplateInvalid(f"group {group['code']!r}: 'criteria' must be a list")
        for item in items:
            _validate_criterion(item)
            criteria.append((item["code"], group["code"], item))
    _unique([code for code, _, _ in criteria], "criterion")
    levels, caps = _validate_classification(template.get("classification"))
    threshold, quorum = _validate_voting(template.get("voting"))
    return Contract(
        groups=group_codes, criteria=criteria, levels=levels,
        minimums=[level["min"] for level in template["classification"]["levels"]],
        caps=[(cap["min_severity"], levels.index(cap["max_level"])) for cap in caps],
        threshold=threshold, quorum=quorum)


def criteria_of(template):
    """``{criterion code: criterion}`` of a template, groups flattened."""
    return {c["code"]: c for group in template["groups"] for c in group["criteria"]}


def score_range(criterion):
    """The points a criterion can give, as its type bounds them: penalties are negative."""
    return criterion_types.of(criterion).score_range(criterion)


def level_codes(template):
    return [level["code"] for level in template["classification"]["levels"]]
