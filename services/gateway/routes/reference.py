"""Reference data: units, clusters, people, criteria templates and periods."""
from services.gateway.api import API, call, idempotency_key
from services.gateway.entrypoint import Int, route
import thidua.criterion_types as criterion_types

UNITS, CLUSTERS, PERIODS = f"{API}/units", f"{API}/clusters", f"{API}/periods"


class Reference:

    @route("GET", UNITS)
    def list_units(self, request):
        return {"items": call(self.submissions.list_units)}

    @route("POST", UNITS, body="Unit")
    def upsert_unit(self, request, body):
        return call(self.submissions.upsert_unit, body)

    @route("POST", CLUSTERS, body="Cluster")
    def upsert_cluster(self, request, body):
        return call(self.submissions.upsert_cluster, body)

    @route("GET", CLUSTERS)
    def list_clusters(self, request):
        return {"items": call(self.submissions.list_clusters)}

    @route("GET", f"{CLUSTERS}/<string:cluster>")
    def get_cluster(self, request, cluster):
        return call(self.submissions.get_cluster, cluster)

    @route("POST", f"{API}/people", body="Person")
    def upsert_person(self, request, body):
        return call(self.submissions.upsert_person, body)

    @route("POST", f"{API}/templates", body="Template", status=201)
    def publish_template(self, request, body):
        return call(self.submissions.publish_template, body, idempotency_key(request))

    @route("GET", f"{API}/templates/<string:template_id>", query={"version": Int(1, 10_000)})
    def get_template(self, request, template_id, query):
        return call(self.submissions.get_template, template_id, query["version"])

    @route("GET", f"{API}/criterion-types")
    def list_criterion_types(self, request):
        """The criterion types (settings, value shape, score range, texts): the pages build their inputs from it."""
        return criterion_types.document()

    @route("GET", PERIODS)
    def list_periods(self, request):
        return {"items": call(self.submissions.list_periods)}

    @route("POST", PERIODS, body="Period")
    def plan_period(self, request, body):
        return call(self.submissions.plan_period, body)

    @route("POST", f"{PERIODS}/<string:period>/transitions", body="PeriodTransition")
    def transition_period(self, request, period, body):
        return call(self.submissions.transition_period, period, body["action"], body.get("version"))
