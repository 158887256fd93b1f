"""The vote count record of a closed vote (biên bản kiểm phiếu). Pure: no I/O.

Built from the closed session alone: its members, its rules and its tally, which holds counts
and nothing else (the ballots were opened, counted and destroyed at the close), so the record
can never link a ballot to its unit. The tally is read through the ranking engine's own reading
of a vote (``engine.read_vote``), so the record says what the ranking applied.

Every ballot in the box was checked when cast (``voting.validate_ballot`` refuses an unreadable
or empty one before it enters the box), so all ballots cast are valid; a ballot may still leave a
unit, or the leading unit, without a choice: those are counted per unit as ``blank``.
"""
from services.ranking import engine
from thidua.criteria import DEFAULT_VOTING, fraction
from thidua.errors import VotingClosed


def vote_count(session, unit_names):
    """The record of ``session`` (a CLOSED vote session document); ``unit_names``: code -> name."""
    if session is None or session.get("state") != "CLOSED":
        raise VotingClosed("The vote count is drawn up once the vote is closed; close the vote first.")
    tally, rules = session["tally"], {**DEFAULT_VOTING, **(session.get("rules") or {})}
    threshold, quorum = fraction(rules["threshold"], "threshold"), fraction(rules["quorum"], "quorum")
    vote = engine.read_vote(tally, threshold, quorum)
    cast, eligible, levels = tally["ballots_cast"], tally["eligible"], session["levels"]
    record = {
        "cluster": session["cluster"], "period": session["period"], "session_id": session["_id"],
        "opened_at": session.get("opened_at"), "closed_at": session.get("closed_at"),
        "eligible": eligible, "cast": cast, "not_cast": eligible - cast, "valid": cast, "invalid": 0,
        "quorum": str(quorum), "threshold": str(threshold), "majority_rule": _rule_words(threshold),
        "quorum_met": bool(vote.quorum_met), "withheld": vote.withheld, "decides": vote.decides,
        "levels": levels, "units": [], "leading_unit": None, "class_totals": tally.get("class_totals"),
    }
    if vote.withheld:
        return record   # too few ballots to show counts per unit: only the totals per class
    leading = tally.get("leading_unit", {})
    for unit in session["members"]:
        given = tally.get("classes", {}).get(unit, {})
        by_vote = vote.class_for(unit, levels) if vote.decides else None
        record["units"].append({
            "unit": unit, "unit_name": unit_names.get(unit, unit),
            "classes": {level: given.get(level, 0) for level in levels},
            "blank": cast - sum(given.values()),
            "class_by_vote": None if by_vote is None else levels[by_vote],
            "leading_votes": leading.get(unit, 0),
            "leading_passes": vote.decides and vote.passes(leading.get(unit, 0))})
    candidates = [row["unit"] for row in record["units"] if row["leading_passes"]]
    record["leading_unit"] = {"blank": cast - sum(leading.values()), "candidates": candidates,
                              "elected": candidates[0] if len(candidates) == 1 else None}
    return record


def _rule_words(threshold):
    """How a share passes, as the engine applies it: more than half, or at least the threshold."""
    return f"more than {threshold}" if threshold == engine.SIMPLE_MAJORITY else f"at least {threshold}"
