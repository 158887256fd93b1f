"""Secret ballots of a cluster's classification vote (bỏ phiếu xếp loại). Pure: no I/O.

A ballot names a class for some or all member units and/or one leading unit (đơn vị
dẫn đầu). Who voted and what was chosen are never linked. A member unit takes a one-time
ballot token (which records that it voted); the ballot then arrives with that token and no
person, sealed (:mod:`thidua.seal`) under a key the database does not hold; it rests sealed
in the session's ballot box, in no order, until the close opens the box, counts it and
empties it. See docs/security.md, "Secret ballots".
"""
import hmac

from thidua import seal
from thidua.errors import Forbidden, Problems

TOKEN_PART = 32   # hex characters of each half of a ballot token


def ballot_token(key, session_id, unit):
    """The unit's one ballot token for this vote: ``nonce.check``. The nonce is derived from the
    unit with the key, so a unit that lost its token gets the same one again (and cannot vote
    twice), while nothing stored, and no one without the key, can tell whose token it is."""
    nonce = seal.mac(key, "ballot-nonce", session_id, unit)[:TOKEN_PART]
    return f"{nonce}.{seal.mac(key, 'ballot-token', session_id, nonce)[:TOKEN_PART]}"


def spent_mark(key, session_id, token):
    """What the ballot box keeps of a used token: a keyed fingerprint of its nonce that names no
    unit. :class:`Forbidden` unless ``token`` was issued for this vote."""
    nonce, _, check = str(token).partition(".")
    expected = seal.mac(key, "ballot-token", session_id, nonce)[:TOKEN_PART]
    if len(nonce) != TOKEN_PART or not hmac.compare_digest(check.encode(), expected.encode()):
        raise Forbidden("This ballot token is not one of this vote's: take the unit's ballot again "
                        "(POST .../vote/token) and cast it with that token.")
    return seal.mac(key, "ballot-spent", session_id, nonce)


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


def tally(ballots, eligible, minimum=1):
    """Counts of a closed session, in the form the ranking engine takes. Fewer ballots than
    ``minimum``: only the totals per class, never per unit (one ballot's tally would be that
    ballot), marked ``withheld`` so the vote decides nothing."""
    counted = _count(ballots, eligible)
    if len(ballots) >= minimum:
        return counted
    totals = {}
    for per_unit in counted["classes"].values():
        for level, count in per_unit.items():
            totals[level] = totals.get(level, 0) + count
    return {"ballots_cast": len(ballots), "eligible": eligible, "classes": {}, "leading_unit": {},
            "withheld": True, "minimum": minimum, "class_totals": totals}


def _count(ballots, eligible):
    classes, leading = {}, {}
    for ballot in ballots:
        for unit, level in ballot["classes"].items():
            per_unit = classes.setdefault(unit, {})
            per_unit[level] = per_unit.get(level, 0) + 1
        if ballot["leading_unit"] is not None:
            leading[ballot["leading_unit"]] = leading.get(ballot["leading_unit"], 0) + 1
    return {"ballots_cast": len(ballots), "eligible": eligible, "classes": classes, "leading_unit": leading}
