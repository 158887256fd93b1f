"""Secret ballots of a cluster's classification vote (bỏ phiếu xếp loại). Pure: no I/O.

A ballot names a class for some or all member units and/or one leading unit (đơn vị
dẫn đầu). Who voted and what was chosen are stored apart and never linked: a ballot
record holds its choices and nothing about its voter.
"""
from thidua.errors import Problems


def validate_ballot(payload, members, levels):
    """The clean choices of a ballot; ``members`` are the units on the ballot, ``levels`` the class codes."""
    problems = Problems()
    if not isinstance(payload, dict):
        problems.add("ballot", "must be an object with classes and/or leading_unit")
        problems.raise_if_any("The ballot")
    for key in sorted(set(payload) - {"classes", "leading_unit"}):
        problems.add(key, "unknown field")
    classes = payload.get("classes", {})
    clean = {"classes": {}, "leading_unit": None}
    if not isinstance(classes, dict):
        problems.add("classes", "must be an object of unit code -> class code")
    else:
        for unit, level in classes.items():
            if unit not in members:
                problems.add(f"classes.{unit}", "not a member unit of this cluster")
            elif level not in levels:
                problems.add(f"classes.{unit}", f"one of {', '.join(levels)}")
            else:
                clean["classes"][unit] = level
    leading = payload.get("leading_unit")
    if leading is not None:
        if leading not in members:
            problems.add("leading_unit", "not a member unit of this cluster")
        else:
            clean["leading_unit"] = leading
    if not clean["classes"] and clean["leading_unit"] is None and not problems.fields:
        problems.add("ballot", "choose a class for at least one unit or a leading unit")
    problems.raise_if_any("The ballot")
    return clean


def tally(ballots, eligible):
    """Counts of a closed session, in the form the ranking engine takes."""
    classes, leading = {}, {}
    for ballot in ballots:
        for unit, level in ballot["classes"].items():
            per_unit = classes.setdefault(unit, {})
            per_unit[level] = per_unit.get(level, 0) + 1
        if ballot["leading_unit"] is not None:
            leading[ballot["leading_unit"]] = leading.get(ballot["leading_unit"], 0) + 1
    return {"ballots_cast": len(ballots), "eligible": eligible, "classes": classes, "leading_unit": leading}
