"""Reports: a unit's periodic report created, changed and moved through its lifecycle
(``domain/report.py``), read by those who may, and a cluster's summary for a period."""
import uuid

from pymongo.errors import DuplicateKeyError

from services.submissions import reports as contents
from services.submissions.domain import access
from services.submissions.domain.report import Report, identify
from services.submissions.entrypoints.common import LOST_RACE
from thidua import paging
from thidua.errors import DomainError, ReportExists, UnknownReport, ValidationFailed
from thidua.events import utcnow
from thidua.mongo import public
from thidua.rpc import rpc

ORDER = [("unit", 1), ("_id", 1)]


def _context(report):
    return {"unit": report["unit"], "period": report["period"]}


def _imported_before(before, report):
    """The same past report imported again is the one stored; another one for the unit is refused."""
    if before.get("submitted_at") != report["submitted_at"] or before.get("source") != report["source"]:
        raise ReportExists(f"Unit {report['unit']} already has a report for {report['period']} "
                           f"(handed in {before.get('submitted_at')}, source {before.get('source', 'portal')}).")
    return public(before)


class Reports:
    @rpc
    def submit_report(self, payload, idempotency_key=None):
        """A unit creates its report for a period: a draft (``"draft": true``) or submitted at once."""
        caller = self.caller.require()
        scope = self._scope(*identify(payload))
        collided = []    # whether an attempt found a report of the unit and period there (see _create)

        def work(tx):
            report, events = Report.new(payload, caller, scope, utcnow(), str(uuid.uuid4()), self.correlation_id)
            return public(self._create(tx, report.document, events, collided))
        return self.uow.run(work, idempotency_key=idempotency_key, request={"create": payload}, retry_on=LOST_RACE)

    def _create(self, tx, report, events, collided):
        """A new report, with its audit entry and events. The unit's only report for the period is
        kept by the unique index on (unit, period): a second one collides at its insert, and only
        then is the transaction run again with the look-up that says so (or, for a request sent
        again, that finds its first answer). A look-up before every insert was one command more."""
        if collided:
            self._only_one(report, tx)
        self._check_evidence(report, tx)
        try:
            return self._save(tx, "reports", None, report, "report.submit" if events else "report.create", "report",
                              _context(report), events)
        except DuplicateKeyError:
            collided.append(True)
            raise

    @rpc
    def backfill_reports(self, payload):
        """An administrator imports past reports with their real hand-in time and ``source``
        (``{"reports": [...]}``), each on its own: ``{results: [{unit, period, ok, id | error}]}``.
        Idempotent: a report imported before with the same hand-in time is answered again."""
        caller = self.caller.require()
        access.require_admin(caller, "import past reports")
        items = payload.get("reports") if isinstance(payload, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= contents.MAX_LIST:
            raise ValidationFailed(f"Send {{\"reports\": [...]}} with 1 to {contents.MAX_LIST} reports.",
                                   {"fields": {"reports": "a non-empty list of reports"}})
        return {"results": [self._backfill_one(item, caller) for item in items]}

    def _backfill_one(self, item, caller):
        unit, period = (item.get("unit"), item.get("period")) if isinstance(item, dict) else (None, None)
        try:
            scope = self._scope(*identify(item, ("submitted_at", "source")))

            def work(tx):
                before = tx.find_one("reports", {"unit": scope.unit["_id"], "period": scope.run["period"]})
                report, events = Report.backfill(item, caller, scope, utcnow(), str(uuid.uuid4()), self.correlation_id)
                if before is not None:
                    return _imported_before(before, report.document)
                self._check_evidence(report.document, tx)
                return public(self._save(tx, "reports", None, report.document, "report.backfill", "report",
                                         _context(report.document), events))
            return {"unit": unit, "period": period, "ok": True, "id": self.uow.run(work, retry_on=LOST_RACE)["id"]}
        except DomainError as exc:
            return {"unit": unit, "period": period, "ok": False,
                    "error": {"code": exc.code, "message": exc.message, "details": exc.details}}

    @staticmethod
    def _only_one(report, tx):
        """A new report is the unit's only one for the period."""
        if tx.find_one("reports", {"unit": report["unit"], "period": report["period"]}):
            raise ReportExists(f"Unit {report['unit']} already has a report for {report['period']}; "
                               "change it with PUT /api/v1/reports/<id>.")

    @rpc
    def update_report(self, report_id, payload):
        """The unit changes its draft or returned report (optimistic concurrency on ``version``)."""
        caller = self.caller.require()

        def work(tx):
            report = Report(self._report(report_id, tx))
            changed = report.update(payload, caller, self._scope_of(report.document, tx))
            self._check_evidence(changed.document, tx)
            return public(self._save(tx, "reports", report.document, changed.document, "report.update", "report",
                                     _context(report.document)))
        return self.uow.run(work)

    @rpc
    def act_on_report(self, report_id, action, payload, idempotency_key=None):
        """Move a report: ``submit`` (or resubmit), ``return`` (with a reason), ``review`` (the
        cluster lead's scores per criterion, with comments) or ``finalize`` (locks it)."""
        caller = self.caller.require()

        def work(tx):
            report = Report(self._report(report_id, tx))
            moved, event = report.apply(action, payload, caller, self._scope_of(report.document, tx), utcnow())
            return public(self._save(tx, "reports", report.document, moved.document, f"report.{action}", "report",
                                     _context(report.document), [event]))
        request = {"report": report_id, "action": action, "payload": payload}
        return self.uow.run(work, idempotency_key=idempotency_key, request=request, retry_on=LOST_RACE)

    def _report(self, report_id, tx=None):
        report = (tx.find_one("reports", {"_id": report_id}) if tx else
                  self.db.reports.find_one({"_id": report_id}))
        if report is None:
            raise UnknownReport(f"No report has the id {report_id!r}.")
        return report

    def _scope_of(self, report, tx):
        return self._scope(report["unit"], report["period"], tx)

    @rpc
    def get_report(self, report_id):
        """The report as its reader may see it (``access.as_read_by``): a draft only its unit's."""
        reader, report = self.caller.require(), self._report(report_id)
        if not access.may_read_report(reader, report):
            raise UnknownReport(f"No report has the id {report_id!r}.")   # a draft is nobody else's business
        return public(access.as_read_by(reader, report, self._clusters()(report["cluster"])))

    @rpc
    def list_reports(self, cluster=None, period=None, unit=None, limit=200, cursor=None):
        """A page of the reports the reader may read (``thidua.paging``), by unit."""
        reader, cluster_of = self.caller.require(), self._clusters()
        query = {k: v for k, v in (("cluster", cluster), ("period", period), ("unit", unit)) if v is not None}
        return paging.page(self.db.reports, query, ORDER, name="reports", limit=limit, most=1000, cursor=cursor,
                           keep=lambda r: access.may_read_report(reader, r),
                           shown=lambda r: public(access.as_read_by(reader, r, cluster_of(r["cluster"]))))

    @rpc
    def cluster_summary(self, cluster_code, period_code):
        """What a cluster handed in for a period: reports by status, late ones, who is missing,
        and the cluster-wide commendation figures. Drafts count nowhere: they are their unit's own."""
        self.caller.require()
        cluster = self._get("clusters", cluster_code)
        handed_in = list(self.db.reports.find({"cluster": cluster_code, "period": period_code,
                                               "status": {"$ne": "DRAFT"}}))
        by_status = {}
        for report in handed_in:
            by_status[report["status"]] = by_status.get(report["status"], 0) + 1
        members = [m["unit"] for m in cluster["members"]]
        return {"cluster": cluster_code, "period": period_code, "members": len(members),
                "by_status": by_status, "late": sorted(r["unit"] for r in handed_in if r["late"]),
                "not_submitted": sorted(set(members) - {r["unit"] for r in handed_in}),
                "commendations": contents.commendation_totals(handed_in)}

    def _check_evidence(self, report, tx):
        for index, item in enumerate(report["evidence"]):
            record = tx.find_one("evidence", {"_id": item["file_id"]})
            if record is None or record["unit"] != report["unit"]:
                raise ValidationFailed(f"evidence[{index}]: no file {item['file_id']!r} of unit {report['unit']}; "
                                       "upload it first with POST /api/v1/units/<unit>/evidence.",
                                       {"fields": {f"evidence[{index}].file_id": "unknown file of this unit"}})
