"""A real Prometheus scrapes the running platform and finds every series the platform promises,
with the alert rules loaded; promtool checks the rules."""
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from scripts.launcher import SERVICES, ensure_prometheus, free_port
from tests.e2e.test_flow import as_, post, report_body
from thidua.metrics import SERIES

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
ONLY_ON_ERROR = {"thidua_metric_reading_errors_total"}   # appears with the first reading that fails


@pytest.fixture(scope="module")
def prometheus_binary():
    try:
        path = ensure_prometheus()
    except SystemExit as exc:
        pytest.skip(str(exc))
    return Path(path)


@pytest.fixture(scope="module")
def prometheus(platform, prometheus_binary, tmp_path_factory):
    """Prometheus on loopback, scraping each service's METRICS_PORT every second, with the alert rules."""
    home = tmp_path_factory.mktemp("prometheus")
    (home / "alerts.yml").write_text(RULES.read_text())
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"}, "rule_files": ["alerts.yml"],
              "scrape_configs": [{"job_name": f"thidua-{name}",
                                  "static_configs": [{"targets": [f"127.0.0.1:{platform.metrics_ports[name]}"]}]}
                                 for name in SERVICES]}
    (home / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = open(home / "prometheus.log", "wb")
    process = subprocess.Popen([str(prometheus_binary), f"--config.file={home / 'prometheus.yml'}",
                                f"--storage.tsdb.path={home / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: requests.get(f"{url}/-/ready", timeout=2).status_code == 200, 60, "Prometheus to be ready")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait(probe, seconds, what):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds}s waiting for {what}")
        time.sleep(0.5)


def query(url, expression):
    answer = requests.get(f"{url}/api/v1/query", params={"query": expression}, timeout=10).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_scrapes_every_listed_series_from_the_running_services(platform, prometheus):
    # A report (a recompute, a notice), or the refusal of a second one when an earlier test handed it in.
    response = post(platform, "/reports", report_body("U05", 90), as_("canbo.u05"))
    assert response.status_code in (201, 409), response.text
    requests.get(f"{platform.url}/api/v1/reports/no-such-report", headers=as_("trung.th"), timeout=10)   # a 404

    wait(lambda: len(query(prometheus, 'up{job=~"thidua-.+"} == 1')) == len(SERVICES), 60, "every service up")
    missing = set(SERIES) - ONLY_ON_ERROR
    wait(lambda: not missing.difference_update(
        {name for name in list(missing) if query(prometheus, f'{{__name__=~"{name}(_bucket)?"}}')}), 60,
        f"the series {sorted(missing)}")

    by_status = {r["metric"]["status"] for r in query(prometheus, 'thidua_http_requests_total{route="/api/v1/reports"}')}
    assert str(response.status_code) in by_status
    assert query(prometheus, 'thidua_http_requests_total{status="404"} > 0')
    assert query(prometheus, 'thidua_events_handled_total{event_type="report.submitted.v1", job="thidua-ranking"} > 0')
    assert query(prometheus, "thidua_ranking_recompute_duration_seconds_count > 0")
    assert query(prometheus, 'thidua_ranking_cluster_units{cluster="CUM-01", period="2021-Q2"} > 0')
    handed_in = query(prometheus, 'thidua_reports_handed_in{cluster="CUM-01", period="2021-Q2"}')
    missing_reports = query(prometheus, 'thidua_reports_missing{cluster="CUM-01", period="2021-Q2"}')
    members = platform.db("submissions").clusters.find_one({"_id": "CUM-01"})["members"]
    assert float(handed_in[0]["value"][1]) + float(missing_reports[0]["value"][1]) == len(members)
    assert float(handed_in[0]["value"][1]) >= 1


def test_prometheus_loads_the_alert_rules_and_none_fires_on_a_healthy_platform(platform, prometheus):
    groups = requests.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    assert {"ThiduaServiceDown", "ThiduaOutboxLag", "ThiduaDeadLetters", "ThiduaDeliveryFailures"} <= names
    assert all(rule["health"] != "err" for group in groups for rule in group["rules"])
    firing = query(prometheus, 'ALERTS{alertname="ThiduaServiceDown"}')
    assert firing == []


def test_promtool_accepts_the_alert_rules(prometheus_binary):
    promtool = prometheus_binary.with_name("promtool")
    checked = subprocess.run([str(promtool), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout
