"""The deployment files say what the code needs: checked by reading them."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
ONE_SHOT = {"mongo-init", "demo-data"}


def test_every_long_running_service_has_a_healthcheck():
    for name, service in COMPOSE["services"].items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no healthcheck"


def test_every_dependency_waits_for_health_or_completion():
    for name, service in COMPOSE["services"].items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in COMPOSE["services"], f"{name} depends on unknown {target}"
            expected = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
            assert rule == {"condition": expected}, f"{name} -> {target}: {rule}"


def test_the_four_services_run_from_the_image_with_their_name():
    for name in ("submissions", "ranking", "notifications", "gateway"):
        service = COMPOSE["services"][name]
        assert service["environment"]["SERVICE"] == name
        assert "replicaSet=rs0" in service["environment"]["MONGO_URI"]
        assert (ROOT / "services" / name / "config.yml").exists()


def test_mongo_runs_as_a_replica_set_initiated_once():
    assert "--replSet" in COMPOSE["services"]["mongo"]["command"]
    assert "rs.initiate" in " ".join(COMPOSE["services"]["mongo-init"]["command"])


def test_the_readme_documents_every_configuration_variable():
    readme = (ROOT / "README.md").read_text()
    used = set()
    for path in [*ROOT.glob("services/*/config.yml"), ROOT / "docker-compose.yml"]:
        used |= set(re.findall(r"\$\{([A-Z_]+)", path.read_text()))
    missing = sorted(v for v in used if f"`{v}`" not in readme)
    assert missing == []


def test_the_runtime_image_installs_no_development_package():
    runtime = (ROOT / "deploy" / "requirements.txt").read_text().lower()
    for package in ("secantusdb", "pytest", "hypothesis"):
        assert package not in runtime


def test_the_readme_lists_every_error_code():
    readme = (ROOT / "README.md").read_text()
    from thidua.errors import table
    codes = {code for code, _, _ in table()}
    for path in (ROOT / "services").rglob("*.py"):
        codes |= set(re.findall(r'HttpError\(\d+, "([A-Z_]+)"', path.read_text()))
    assert sorted(c for c in codes if f"`{c}`" not in readme) == []
