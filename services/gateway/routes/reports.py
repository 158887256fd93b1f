"""Reports, their evidence files, and a cluster's summary of them."""
import base64
from urllib.parse import unquote

from services.gateway.api import API, attachment, call, idempotency_key, read_bytes
from services.gateway.entrypoint import Int, Query, forward, route
from services.gateway.routes.notices import Cursor

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
REPORTS = f"{API}/reports"
REPORT = f"{REPORTS}/<string:report_id>"


class Reports:

    @route("POST", REPORTS, body="ReportCreate", status=201)
    def submit_report(self, request, body):
        return call(self.submissions.submit_report, body, idempotency_key(request))

    @route("GET", REPORTS, query={"cluster": Query(), "period": Query(), "unit": Query(),
                                           "limit": Int(1, 1000, default=200), "cursor": Cursor()})
    def list_reports(self, request, query):
        return call(self.submissions.list_reports, query["cluster"], query["period"], query["unit"], query["limit"],
                    query["cursor"])

    backfill_reports = forward("POST", f"{REPORTS}:backfill", "submissions.backfill_reports",
                               "Import past reports with their real hand-in time and source (administrator); "
                               "answered per report.", body="Backfill")
    get_report = forward("GET", REPORT, "submissions.get_report", "One report, as its reader may see it.")
    update_report = forward("PUT", REPORT, "submissions.update_report",
                            "Change a draft or returned report (send its current version).", body="ReportUpdate")

    @route("POST", f"{REPORT}/<string:action>", body="ReportAction")
    def act_on_report(self, request, report_id, action, body):
        return call(self.submissions.act_on_report, report_id, action, body, idempotency_key(request))

    @route("GET", f"{API}/clusters/<string:cluster>/periods/<string:period>/summary")
    def cluster_summary(self, request, cluster, period):
        return call(self.submissions.cluster_summary, cluster, period)

    @route("POST", f"{API}/units/<string:unit>/evidence", status=201, upload=True, deadline=30.0)
    def store_evidence(self, request, unit):
        name = unquote(request.headers.get("X-Filename", ""))
        data = read_bytes(request, MAX_EVIDENCE_BYTES)
        return call(self.submissions.store_evidence, unit, name, request.mimetype,
                    base64.b64encode(data).decode(), timeout=30.0)

    @route("GET", f"{API}/evidence/<string:file_id>", download=True, deadline=30.0)
    def get_evidence(self, request, file_id):
        found = call(self.submissions.get_evidence, file_id, timeout=30.0)
        return attachment(base64.b64decode(found["data_base64"]), found["content_type"], found["name"])
