"""Reference data: units, clusters, people, criteria templates and periods."""
from services.gateway.api import API, call, idempotency_key
from services.gateway.entrypoint import Int, forward, route
import thidua.criterion_types as criterion_types

UNITS, CLUSTERS, PERIODS = f"{API}/units", f"{API}/clusters", f"{API}/periods"
RUN = f"{CLUSTERS}/<string:cluster>/periods/<string:period>"


class Reference:
    list_units = forward("GET", UNITS, "submissions.list_units", "The units.", listing=True)
    upsert_unit = forward("POST", UNITS, "submissions.upsert_unit", "Create or change a unit.", body="Unit")
    list_clusters = forward("GET", CLUSTERS, "submissions.list_clusters", "The clusters, newest year first.",
                            listing=True)
    upsert_cluster = forward("POST", CLUSTERS, "submissions.upsert_cluster", "Create or change a cluster and its "
                             "members for a year.", body="Cluster")
    get_cluster = forward("GET", f"{CLUSTERS}/<string:cluster>", "submissions.get_cluster", "One cluster.")
    upsert_person = forward("POST", f"{API}/people", "submissions.upsert_person", "Create or change a person.",
                            body="Person")
    list_periods = forward("GET", PERIODS, "submissions.list_periods", "The periods (calendar labels), each with "
                           "its clusters' runs and their states.", listing=True)
    plan_period = forward("POST", PERIODS, "submissions.plan_period", "Plan a period (or re-plan one not yet open).",
                          body="Period")

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

    # Each cluster runs a period on its own (its "run"); the standing office may move all runs of a level.
    list_runs = forward("GET", f"{PERIODS}/<string:period>/runs", "submissions.list_runs",
                        "Every cluster's run of the period.", listing=True)
    get_run = forward("GET", RUN, "submissions.get_run", "A cluster's run of a period: state, deadline, template, "
                      "chair, conclusion.")
    set_run = forward("PUT", RUN, "submissions.set_run", "A run's own deadline, template or chair.", body="RunChanges")

    @route("POST", f"{RUN}/transitions", body="RunTransition")
    def transition_run(self, request, cluster, period, body):
        return call(self.submissions.transition_run, cluster, period, body.pop("action"), body)

    @route("POST", f"{PERIODS}/<string:period>/transitions", body="PeriodTransition")
    def transition_period(self, request, period, body):
        """Every cluster's run of ``level`` at once, answered per cluster (200 with each outcome)."""
        return call(self.submissions.transition_level, period, body.pop("action"), body.pop("level"), body)
