"""Scoring engine of an emulation cluster (cụm thi đua) for one period: a pure function.

``compute(template, reports, votes)`` turns a criteria template (bộ tiêu chí), the
units' reports and, optionally, the tally of a closed voting session (bỏ phiếu xếp loại)
into the cluster's table: per-unit breakdown, totals, classes (xếp loại), competition
ranks and the leading unit (đơn vị dẫn đầu). It imports only the standard library,
reads no clock and no randomness, so the same inputs always give the same output and
the same ``input_hash``; a stored snapshot can be re-derived and audited.

The rule (``RULE_VERSION``), in short; ``docs/ranking-engine.md`` has the worked details.

* Criterion scores (one per criterion and unit), each by its type's module in
  ``thidua/criterion_types/`` (the registry); the built-in types:
  - ``target`` (so sánh chỉ tiêu): below target ``0.5*max*actual/target``; at target
    ``0.5*max``; better than target and best in the cluster ``max``; better than target,
    not best ``0.5*max + (actual-target)/(best-target)*0.5*max``. With
    ``higher_is_better: false`` the same shape mirrored: worse than target
    ``0.5*max*target/actual``, better ``0.5*max + (target-actual)/(target-best)*0.5*max``
    where best is the lowest actual (0 is naturally the best). Never below 0.
  - ``pass_fail`` (đạt / không đạt): ``max`` or 0.
  - ``per_occurrence``: ``min(count*points_per, cap)``.
  - ``bonus`` (điểm thưởng): ``clamp(points, 0, cap)``; ``penalty`` (điểm trừ):
    ``-clamp(points, 0, cap)``. ``cap`` defaults to ``max`` for these three types.
  - A missing or wrongly-typed value scores 0, with the reason in the breakdown.
* Three scores per criterion: self-assessed (tự chấm), reviewed by the cluster lead,
  final. The reviewed score, clamped to the criterion's range, is the final score; without
  it the computed score is. Self and reviewed scores use the sign of the final score
  (a penalty's score is negative).
* Every comparison of totals (ranking, class thresholds, leader) uses the total rounded
  to 2 decimals, the figure people see, so ``0.1+0.2`` and ``0.3`` tie.
* Class: by score, the first level (best first) whose ``min`` is <= the total (the worst
  level below every minimum). By vote, when the session met its quorum: the best level L
  such that the ballots giving L or better pass the threshold. The class is the worse of
  the two, then capped by discipline (the strictest cap of any violation whose severity
  reaches the cap's ``min_severity``).
* Threshold: a share passes when it is *more than* the threshold if the threshold is
  exactly 1/2 (simple majority), *at least* the threshold otherwise. Shares are compared
  as exact fractions; a threshold or quorum may be written ``"2/3"``.
* Rank: competition ranking (1, 2, 2, 4) on the total; tied units are ordered, never
  split, by fewer violations, more commendations, earlier submission, unit code.
* Leading unit: a unit under a discipline cap below the top level may not lead. With a
  vote that met its quorum, candidates are the units whose leading-unit votes pass the
  threshold; one candidate, or a candidate with the strictly highest total, is
  ``elected``; candidates tied on the total need a revote (``tie_revote``); no candidate
  gives ``none``. Without a valid vote, the best-ranked unit that may lead, if alone at
  its total, is ``provisional``; a tie gives ``tie_revote``.
"""
from __future__ import annotations

import copy
import gc
import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from fractions import Fraction

import thidua.criterion_types as criterion_types
from thidua.criterion_types.base import NO_VALUE, CriterionType, InvalidValue, Value, is_count as _is_count
from thidua.criteria import is_number, validate_template as check_template

RULE_VERSION = "engine/1"

SIMPLE_MAJORITY = Fraction(1, 2)


# --------------------------------------------------------------------------- numbers

def _clamp(x, low, high):
    return max(low, min(high, x))


def _round2(x):
    """Rounding at the output boundary only; ``+ 0.0`` turns -0.0 into 0.0 for clean JSON.
    ``round(x, 2)`` costs more than a breakdown line's dict, and a whole number needs none."""
    if x is None:
        return None
    return x + 0.0 if type(x) is float and x.is_integer() else round(x, 2) + 0.0


# --------------------------------------------------------------------------- template

@dataclass(slots=True)
class _Criterion:
    """A criterion with what the engine asks of it on every line found once per template: the score's
    range, its source, and its type's methods already looked up (n*c lines in a cluster)."""
    code: str
    group: str
    spec: dict
    kind: CriterionType
    low: float
    high: float
    source: object = None
    derives: bool = False       # its type may take the value from the rest of the report
    read: object = None         # kind.value.read
    inputs: object = None       # kind.inputs
    field: str | None = None    # the value object's field, when its shape is a plain Value (read inline)
    accepts: object = None      # whether a value is of the field's kind


def _criterion(code, group, spec):
    kind = criterion_types.of(spec)
    return _Criterion(code, group, spec, kind, *kind.score_range(spec), source=spec.get("source"),
                      derives=type(kind).derive is not CriterionType.derive,
                      read=kind.value.read, inputs=kind.inputs,
                      **({"field": kind.value.key, "accepts": kind.value.accepts}
                         if type(kind.value) is Value else {}))


def validate_template(template):
    """Check a criteria template (``thidua.criteria``: a ``ValueError`` says what to change)
    and return its rules in the engine's shape."""
    contract = check_template(template)
    return replace(contract, criteria=[_criterion(code, group, spec) for code, group, spec in contract.criteria])


# The canonical JSON of the hash: sorted keys, no spaces, UTF-8 as is. default=str keeps the hash
# total for stored types JSON lacks (datetimes from the database).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_CHECKED = {}           # a template's canonical text -> its rules, for the last few templates
_CHECKED_KEPT = 16      # a province scores a year's periods with one template or a few


def _rules(template, text):
    """``validate_template(template)``, made once per template: a ranking service scores a cluster
    against the same template on every recompute, and checking it again each time was about a
    tenth of a 20-unit cluster's cost. Kept by its canonical text (``text``, which the hash
    encodes anyway), so an equal template read again finds it and a changed one does not; made
    from a copy, so a caller that changes its template afterwards cannot change the kept rules. A
    kept one is used only while each of its criteria's types is still the registered one (a type
    can be registered or removed while the process runs)."""
    rules = _CHECKED.get(text)
    if rules is not None and all(criterion_types.get(c.kind.name) is c.kind for c in rules.criteria):
        return rules
    rules = validate_template(copy.deepcopy(template))
    if len(_CHECKED) >= _CHECKED_KEPT:
        del _CHECKED[next(iter(_CHECKED))]     # the oldest
    _CHECKED[text] = rules
    return rules


# --------------------------------------------------------------------------- votes

class _Vote:
    """The tally of a closed voting session (bỏ phiếu), read against the template's voting rule.

    A session that missed its quorum decides nothing: classes and the leading unit then
    follow the scores alone, and ``quorum_met`` tells the reader why.
    """

    def __init__(self, votes, rules):
        self.threshold = rules.threshold
        self.given = votes is not None
        self.quorum_met = None
        self.withheld = False
        self.ballots = 0
        self.classes, self.leading = {}, {}
        if not self.given:
            return
        if not isinstance(votes, dict):
            raise ValueError("votes: must be an object with ballots_cast, eligible, classes, leading_unit")
        self.ballots, eligible = votes.get("ballots_cast"), votes.get("eligible")
        if not (_is_count(self.ballots) and _is_count(eligible)):
            raise ValueError("votes: 'ballots_cast' and 'eligible' must be integers >= 0")
        if self.ballots > eligible:
            raise ValueError(f"votes: {self.ballots} ballots cast but only {eligible} eligible voters")
        self.classes = self._tallies(votes.get("classes"), "classes", nested=True)
        self.leading = self._tallies(votes.get("leading_unit"), "leading_unit", nested=False)
        # ballots/eligible >= quorum, as exact fractions; nobody eligible means no quorum.
        self.quorum_met = eligible > 0 and Fraction(self.ballots, eligible) >= rules.quorum
        # Too few ballots to publish per unit (BALLOT_MINIMUM): only totals came, so it decides nothing.
        self.withheld = bool(votes.get("withheld"))

    @staticmethod
    def _tallies(tally, name, nested):
        """A tally {unit: count} (or {unit: {level: count}}), checked so a typo cannot count as a vote."""
        tally = {} if tally is None else tally
        problem = ValueError(f"votes: '{name}' must map units to ballot counts (integers >= 0)")
        if not isinstance(tally, dict):
            raise problem
        for counts in tally.values():
            if nested and not isinstance(counts, dict):
                raise problem
            if not all(_is_count(n) for n in (counts.values() if nested else [counts])):
                raise problem
        return tally

    @property
    def decides(self):
        return bool(self.quorum_met) and not self.withheld

    def passes(self, count):
        """Whether ``count`` ballots out of those cast pass the threshold (see module doc)."""
        if self.ballots == 0:
            return False
        share = Fraction(count, self.ballots)
        return share > self.threshold if self.threshold == SIMPLE_MAJORITY else share >= self.threshold

    def class_for(self, unit, levels):
        """Index of the best level that the ballots giving it or better pass; None if none does."""
        given = self.classes.get(unit, {})
        cumulative = 0
        for index, level in enumerate(levels):
            cumulative += given.get(level, 0)
            if self.passes(cumulative):
                return index
        return None


def read_vote(votes, threshold, quorum):
    """A closed session's tally read against its voting rule (exact fractions, see the module doc):
    ``quorum_met``, ``decides``, ``passes(count)``, ``class_for(unit, levels)``. The vote count
    record (biên bản kiểm phiếu) reads the tally the way the ranking does, through this."""
    class Rule:
        pass
    rule = Rule()
    rule.threshold, rule.quorum = threshold, quorum
    return _Vote(votes, rule)


# --------------------------------------------------------------------------- one unit

@dataclass
class _UnitResult:
    unit: str
    unit_name: str
    late: bool
    submitted: tuple
    violations: int
    commendations: int
    breakdown: list
    total: float
    computed_total: float
    self_total: float | None
    groups: dict
    class_by_score: int = 0
    class_by_vote: int | None = None
    uncapped: int = 0       # the class before the discipline cap
    level: int = 0
    cap: int | None = None
    rank: int = 0
    shown_total: float = field(init=False)

    def __post_init__(self):
        # What people see, and therefore what every comparison of totals uses.
        self.shown_total = round(self.total, 2)

    @property
    def may_lead(self):
        """A unit under a discipline cap below the top level may not be the leading unit."""
        return self.cap is None or self.cap == 0


def _submission_key(moment):
    """Earlier submission first; a missing or unreadable time sorts after every readable one."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)   # Python 3.11 reads the trailing "Z"
        except ValueError:
            return (1, 0.0)
    if not isinstance(moment, datetime):
        return (1, 0.0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (0, moment.timestamp())


def _commendation_count(commendations):
    """Sum of the counts; an entry without a count is one commendation, a malformed count none."""
    return sum((c.get("count", 1) if _is_count(c.get("count", 1)) else 0)
               for c in commendations if isinstance(c, dict))


def _parse_values(rules, report):
    """Each criterion's parsed value (a list in template order), or the ``InvalidValue`` saying why
    it cannot be scored. A list, not a dict: n*c of them are alive at once in a large cluster."""
    values = report.get("values")
    values = values if isinstance(values, dict) else {}
    parsed = []
    for criterion in rules.criteria:
        derived = criterion.kind.derive(criterion.spec, report) if criterion.derives else None
        raw = values.get(criterion.code) if derived is None else derived
        if criterion.field is not None and type(raw) is dict:
            value = raw.get(criterion.field)    # a missing field (None) is accepted by no kind
            if criterion.accepts(value):        # most values: ``Value.read``'s first case, without its call
                parsed.append(value)
                continue
        try:
            if raw is None:
                raise InvalidValue(NO_VALUE)
            parsed.append(criterion.read(raw))
        except InvalidValue as problem:
            problem.given = raw     # kept for the breakdown: the reviewer sees what was sent
            # Without its traceback: the traceback's frame holds ``parsed``, which holds the
            # problem, a cycle only the garbage collector could free (see ``compute``).
            parsed.append(problem.with_traceback(None))
    return parsed


def _bests(rules, parsed_reports):
    """The cluster's best value per cluster-relative criterion (target), computed once for the
    whole cluster: O(n*c)."""
    bests = [None] * len(rules.criteria)
    for index, criterion in enumerate(rules.criteria):
        if criterion.kind.cluster_relative:
            values = [p[index] for p in parsed_reports if not isinstance(p[index], InvalidValue)]
            bests[index] = criterion.kind.best(criterion.spec, values)
    return bests


def _score_in_range(criterion, score):
    """A self or reviewed score, clamped to the criterion's range; None if absent or not a number."""
    if score is None or not is_number(score):      # most lines have neither: the cheap test first
        return None
    return _clamp(float(score), criterion.low, criterion.high)


def _mapping(report, key):
    value = report.get(key)
    return value if isinstance(value, dict) else {}


def _reviewed(criterion, review):
    """(reviewed score, comment) of a review line: ``{"points": x, "comment": ...}`` as specified,
    a bare number (the shape of self scores) read too."""
    review = {"points": review} if is_number(review) else review if isinstance(review, dict) else {}
    return _score_in_range(criterion, review.get("points")), review.get("comment")


class _Lines:
    """A criterion's breakdown lines for valid values, each value scored once per recompute.

    Units of a cluster often give a criterion the same value (passed, no occurrence, the target
    met), and the cluster's best is one per recompute, so a line depends on the value alone:
    ``scored`` maps a value to (score, line). A unit with neither a self nor a reviewed score on
    the criterion shares that line; a unit with one gets a copy with its scores filled in, and the
    copies share the ``inputs`` object. So the table is read, never changed in place: a line may
    be every unit's that gave its value (in a cluster of 20,000 units, most lines are shared)."""

    __slots__ = ("criterion", "best", "score", "scored")

    def __init__(self, criterion, best):
        self.criterion, self.best, self.scored = criterion, best, {}
        self.score = criterion.kind.scorer(criterion.spec, best)

    def make(self, key, value):
        criterion = self.criterion
        computed, formula = self.score(value)
        line = _line(criterion, criterion.inputs(criterion.spec, value, self.best), formula, None, _round2(computed))
        found = self.scored[key] = computed, line
        return found


def _line(criterion, inputs, formula, reason, shown):
    return {"criterion": criterion.code, "group": criterion.group, "type": criterion.kind.name,
            "inputs": inputs, "formula": formula, "reason": reason,
            "computed": shown, "self": None, "reviewed": None, "review_comment": None,
            "final": shown, "source": criterion.source}


def _group_spans(rules):
    """(group code, first, end) of each group's criteria, which the template lists one group after another."""
    spans, position = [], 0
    for group in rules.groups:
        first = position
        while position < len(rules.criteria) and rules.criteria[position].group == group:
            position += 1
        spans.append((group, first, position))
    return spans


def _score_unit(rules, report, parsed, lines, spans):
    """The unit's breakdown, its lines rounded for output, and its totals from the unrounded scores,
    in one pass over its lines: this loop runs n*c times and is most of the cost of a recompute."""
    self_scores, reviews = _mapping(report, "self_scores"), _mapping(report, "review")
    breakdown, finals, computeds, selfs = [], [], [], []
    for criterion, value, scored in zip(rules.criteria, parsed, lines):
        if isinstance(value, InvalidValue):
            computed = 0.0
            inputs = {} if value.given is None else {"given": value.given}
            line = _line(criterion, inputs, f"{value}: 0", str(value), 0.0)
        else:
            key = (value, value.__class__)      # 1, 1.0 and True are one dict key, not one input
            found = scored.scored.get(key)
            computed, line = scored.make(key, value) if found is None else found
        final = computed
        # Most lines have neither a review nor a self score: no look-up for them, and no line of
        # their own (the value's line is shared).
        review = reviews.get(criterion.code) if reviews else None
        self_score = self_scores.get(criterion.code) if self_scores else None
        if review is not None or self_score is not None:
            line = line.copy()
            if review is not None:
                reviewed, line["review_comment"] = _reviewed(criterion, review)
                if reviewed is not None:
                    final, line["reviewed"] = reviewed, _round2(reviewed)
                    line["final"] = line["reviewed"]
            if self_score is not None:
                self_score = _score_in_range(criterion, self_score)
                if self_score is not None:
                    line["self"] = _round2(self_score)
                    selfs.append(self_score)
        breakdown.append(line)
        finals.append(final)
        computeds.append(computed)
    violations = report.get("violations") if isinstance(report.get("violations"), list) else []
    commendations = report.get("commendations") if isinstance(report.get("commendations"), list) else []
    unit = report["unit"]
    return _UnitResult(
        unit=unit, unit_name=report.get("unit_name") or unit, late=bool(report.get("late", False)),
        submitted=_submission_key(report.get("submitted_at")),
        violations=len(violations), commendations=_commendation_count(commendations),
        breakdown=breakdown,
        total=math.fsum(finals), computed_total=math.fsum(computeds),
        self_total=math.fsum(selfs) if selfs else None,
        groups={code: math.fsum(finals[first:end]) for code, first, end in spans},
        cap=rules.discipline_cap(violations))


def _classify(rules, result, vote):
    result.class_by_score = rules.level_for(result.shown_total)
    result.class_by_vote = vote.class_for(result.unit, rules.levels) if vote.decides else None
    # Indexes grow from best to worst, so "the worse of" is max().
    by_vote = result.class_by_vote
    result.uncapped = result.class_by_score if by_vote is None else max(result.class_by_score, by_vote)
    result.level = result.uncapped if result.cap is None else max(result.uncapped, result.cap)


# --------------------------------------------------------------------------- the cluster

def _order_key(result):
    """Best first; the tie-break orders tied units but never splits their rank."""
    return (-result.shown_total, result.violations, -result.commendations, result.submitted, str(result.unit))


def _rank(results):
    """Sort best first and give competition ranks (1, 2, 2, 4) on the shown total."""
    results.sort(key=_order_key)
    previous = None
    for position, result in enumerate(results, start=1):
        tied = previous is not None and previous.shown_total == result.shown_total
        result.rank = previous.rank if tied else position
        previous = result


def _best_alone(results, status):
    """The unit with the strictly highest total among ``results``, or a revote on a tie."""
    top = max(r.shown_total for r in results)
    best = [r for r in results if r.shown_total == top]
    return (best[0].unit, status) if len(best) == 1 else (None, "tie_revote")


def _leading_unit(results, vote):
    """(unit or None, status) for the leading unit (đơn vị dẫn đầu); see the module doc."""
    allowed = [r for r in results if r.may_lead]
    if vote.decides:
        candidates = [r for r in allowed if vote.passes(vote.leading.get(r.unit, 0))]
        return _best_alone(candidates, "elected") if candidates else (None, "none")
    return _best_alone(allowed, "provisional") if allowed else (None, "none")


def _check_reports(reports):
    seen = set()
    for report in reports:
        if not isinstance(report, dict) or not report.get("unit"):
            raise ValueError(f"reports: each report must be an object with a 'unit', got {report!r}")
        if report["unit"] in seen:
            raise ValueError(f"reports: more than one report for unit {report['unit']!r} (one per unit per period)")
        seen.add(report["unit"])


_HASHED_AT_ONCE = 64    # reports encoded per piece of text fed to the hash


def input_hash(template, reports, votes=None):
    """SHA-256 of a canonical JSON of everything the result depends on, independent of report order:
    the text of ``{"reports": [...by unit], "rule_version": ..., "template": ..., "votes": ...}``
    with sorted keys. The text is fed to the hash a few reports at a time, never made whole: the
    digest is the same, but a cluster of 20,000 units no longer builds a 60 MB string (whose
    making cost more per unit than a small cluster's, as it outgrew the processor's caches)."""
    return _digest(_CANONICAL.encode(template), reports, votes)


def _digest(template_text, reports, votes):
    """``input_hash`` with the template's canonical text already made (``compute`` needs it too)."""
    encode, digest = _CANONICAL.encode, hashlib.sha256(b'{"reports":[')
    ordered = sorted(reports, key=lambda r: str(r.get("unit")))
    for start in range(0, len(ordered), _HASHED_AT_ONCE):
        piece = ",".join([encode(report) for report in ordered[start:start + _HASHED_AT_ONCE]])
        digest.update(("," + piece if start else piece).encode("utf-8"))
    # The keys after "reports", in their order.
    digest.update(f'],"rule_version":{encode(RULE_VERSION)},"template":{template_text},"votes":{encode(votes)}}}'
                  .encode("utf-8"))
    return digest.hexdigest()


def _row(result, levels):
    def level(index):
        return None if index is None else levels[index]
    return {
        "unit": result.unit, "unit_name": result.unit_name, "rank": result.rank,
        "total": _round2(result.total), "self_total": _round2(result.self_total),
        "computed_total": _round2(result.computed_total),
        "groups": {code: _round2(value) for code, value in result.groups.items()},
        "class": level(result.level), "class_by_score": level(result.class_by_score),
        "class_by_vote": level(result.class_by_vote),
        "capped_by_discipline": result.level != result.uncapped,
        "discipline_cap": level(result.cap), "may_lead": result.may_lead,
        "violations": result.violations, "commendations": result.commendations, "late": result.late,
        "breakdown": result.breakdown,      # its lines are rounded as they are made
    }


def compute(template, reports, votes=None, *, digest=None):
    """The cluster's table for one period, as a pure function of its inputs.

    ``template``: a criteria template (bộ tiêu chí), validated here with
    ``validate_template``. ``reports``: one report per unit (values, self scores,
    reviewed scores, violations, commendations). ``votes``: the tally of a closed voting
    session, or None. Values for criteria the template does not have are ignored;
    wrongly-typed values score 0 with the reason in the breakdown.

    Returns a JSON-serialisable dict: ``rule_version``, ``template`` (id, version),
    ``input_hash``, ``table`` (rows best first), ``leader``, ``leader_status``
    ("elected" | "provisional" | "tie_revote" | "none") and ``quorum_met`` (None without
    votes). Floats are rounded to 2 decimals here and only here. ``digest``: the
    ``input_hash`` of these inputs when the caller has it already (hashing is a good part
    of the cost of a small cluster).

    Cost: O(n*c) to score n units on c criteria (the best actual of each target
    criterion is found once) plus O(n log n) to rank.
    """
    # The collector is paused while the table is built: a recompute makes n*c line objects, all
    # alive until it returns and none in a cycle, and each collection pass walked all of them
    # again, so the time grew faster than the cluster (docs/ranking-engine.md, Cost). It runs
    # again as soon as the table is made.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _compute(template, reports, votes, digest)
    finally:
        if collecting:
            gc.enable()


def _compute(template, reports, votes, digest):
    text = _CANONICAL.encode(template)
    rules = _rules(template, text)
    reports = list(reports)
    _check_reports(reports)
    vote = _Vote(votes, rules)
    parsed = [_parse_values(rules, report) for report in reports]
    lines = [_Lines(criterion, best) for criterion, best in zip(rules.criteria, _bests(rules, parsed))]
    spans = _group_spans(rules)
    results = [_score_unit(rules, report, values, lines, spans) for report, values in zip(reports, parsed)]
    for result in results:
        _classify(rules, result, vote)
    _rank(results)
    leader, status = _leading_unit(results, vote)
    return {
        "rule_version": RULE_VERSION,
        "template": {"id": template.get("id"), "version": template.get("version")},
        "input_hash": digest or _digest(text, reports, votes),
        "table": [_row(result, rules.levels) for result in results],
        "leader": leader, "leader_status": status, "quorum_met": vote.quorum_met,
    }


# --------------------------------------------------------------------------- changes

def _changes(before, after, key):
    """Units whose ``key`` differs between two tables, current table order then removed units."""
    old = {row["unit"]: row[key] for row in before}
    new = {row["unit"]: row[key] for row in after}
    changed = [{"unit": unit, "from": old.get(unit), "to": value}
               for unit, value in new.items() if old.get(unit) != value]
    removed = [{"unit": unit, "from": value, "to": None}
               for unit, value in sorted(old.items(), key=lambda item: str(item[0])) if unit not in new]
    return changed + removed


def diff(previous, current):
    """What changed between two results of ``compute`` (``previous`` may be None).

    Returns ``leader_changed``, ``previous_leader``, ``leader``, ``class_changes`` and
    ``rank_moves`` (each ``{"unit", "from", "to"}``; a new unit comes from None, a unit
    no longer in the table goes to None) — what a ``ranking.updated`` event announces.
    """
    before = previous["table"] if previous else []
    previous_leader = previous["leader"] if previous else None
    return {
        "leader_changed": previous_leader != current["leader"],
        "previous_leader": previous_leader, "leader": current["leader"],
        "class_changes": _changes(before, current["table"], "class"),
        "rank_moves": _changes(before, current["table"], "rank"),
    }
