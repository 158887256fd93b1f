"""Rankings: a period's table (also as an Excel file), a unit's breakdown and trend, history and diff."""
from services.gateway import exports
from services.gateway.api import API, attachment, call
from services.gateway.entrypoint import Int, route

RANKING = f"{API}/clusters/<string:cluster>/periods/<string:period>/ranking"
VERSION = {"version": Int(1, 10**9)}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOTH = "Give both versions: ?from=1&to=2."
YEAR = "Give the year: ?year=2021."


class Ranking:

    @route("GET", RANKING, query=VERSION)
    def get_ranking(self, request, cluster, period, query):
        return call(self.ranking.get_ranking, cluster, period, query["version"])

    @route("GET", f"{RANKING}.xlsx", query=VERSION, download=True)
    def ranking_workbook(self, request, cluster, period, query):
        """The ranking table as an Excel file."""
        ranking = call(self.ranking.get_ranking, cluster, period, query["version"])
        periods = {p["id"]: p for p in call(self.submissions.list_periods)}
        template = call(self.submissions.get_template, ranking["template"]["id"], ranking["template"]["version"])
        record = call(self.submissions.meeting_record, cluster, period)   # the vote count and the proposals
        data = exports.ranking_workbook(
            ranking, periods.get(period, {}).get("label", period),
            {g["code"]: g["name"] for g in template.get("groups", [])},
            template.get("classification", {}).get("levels"), record["vote_count"], record["proposals"])
        return attachment(data, XLSX, f"xep-hang-{cluster}-{period}-v{ranking['version']}.xlsx")

    @route("GET", f"{RANKING}/units/<string:unit>", query=VERSION)
    def unit_breakdown(self, request, cluster, period, unit, query):
        return call(self.ranking.unit_breakdown, cluster, period, unit, query["version"])

    @route("GET", f"{RANKING}/history")
    def ranking_history(self, request, cluster, period):
        return {"items": call(self.ranking.history, cluster, period)}

    @route("GET", f"{RANKING}/diff", query={"from": Int(1, 10**9, missing=BOTH), "to": Int(1, 10**9, missing=BOTH)})
    def ranking_diff(self, request, cluster, period, query):
        return call(self.ranking.compare, cluster, period, query["from"], query["to"])

    @route("GET", f"{API}/clusters/<string:cluster>/years/<int:year>/ranking")
    def year_ranking(self, request, cluster, year):
        return call(self.ranking.year_ranking, cluster, year)

    @route("GET", f"{API}/units/<string:unit>/trend", query={"year": Int(2000, 2100, missing=YEAR)})
    def unit_trend(self, request, unit, query):
        return call(self.ranking.unit_trend, unit, query["year"])
