"""The dashboard and the alert rules name only series the platform exposes."""
import json
import re
from pathlib import Path

import yaml

from thidua.metrics import SERIES

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = json.loads((ROOT / "deploy" / "grafana" / "thidua.json").read_text())
RULES = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
NAME = re.compile(r"\b([a-z_][a-z0-9_]*)\b(?=\s*(?:\{|\[|\)|$|\s*[<>=!]))")
KNOWN = set(SERIES) | {"up"}


def series_of(expression):
    """The metric names an expression reads (a histogram's _bucket/_count/_sum is its histogram)."""
    names = set()
    for name in NAME.findall(expression):
        if name.startswith(("thidua_", "up")):
            names.add(re.sub(r"_(bucket|count|sum)$", "", name))
    return names


def test_every_panel_of_the_dashboard_reads_a_real_series():
    assert DASHBOARD["panels"]
    for panel in DASHBOARD["panels"]:
        named = set().union(*(series_of(target["expr"]) for target in panel["targets"]))
        assert named, f"panel {panel['title']!r} reads no series"
        assert named <= KNOWN, f"panel {panel['title']!r} reads unknown series {named - KNOWN}"


def test_the_dashboard_shows_every_series_but_the_reading_errors():
    shown = set().union(*(series_of(t["expr"]) for p in DASHBOARD["panels"] for t in p["targets"]))
    assert set(SERIES) - shown == {"thidua_metric_reading_errors_total"}


def test_every_alert_reads_a_real_series():
    rules = [rule for group in RULES["groups"] for rule in group["rules"]]
    assert {"ThiduaServiceDown", "ThiduaOutboxLag", "ThiduaDeadLetters", "ThiduaDeliveryFailures"} <= \
        {rule["alert"] for rule in rules}
    for rule in rules:
        named = series_of(rule["expr"])
        assert named and named <= KNOWN, (rule["alert"], named)


def test_series_of_reads_names_not_functions_or_labels():
    assert series_of('histogram_quantile(0.95, sum by (le) (rate(thidua_x_seconds_bucket{job="a"}[5m])))') == \
        {"thidua_x_seconds"}
