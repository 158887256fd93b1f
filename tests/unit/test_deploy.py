"""The deployment files say what the code needs: checked by reading them."""
import re
from pathlib import Path

import pytest
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


def test_mongo_runs_as_a_replica_set_initiated_once_with_authentication():
    start = " ".join(COMPOSE["services"]["mongo"]["entrypoint"])
    assert all(flag in start for flag in ("--replSet rs0", "--keyFile", "--auth"))
    assert "rs.initiate" in " ".join(COMPOSE["services"]["mongo-init"]["command"])


# --- secrets: required, never defaulted ------------------------------------------------------

VARIABLE = re.compile(r"\$\{([A-Z_]+)(?:(:?[-?])([^}]*))?\}")


def interpolate(text, env):
    """Compose's interpolation: ``${X:?message}`` is an error when X is unset or empty."""
    def value(match):
        name, operator, argument = match.groups()
        if env.get(name):
            return env[name]
        if operator in (":?", "?"):
            raise LookupError(f"{name}: {argument}")
        return argument if operator else ""
    return VARIABLE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def test_compose_refuses_to_start_without_its_secrets():
    from scripts.secrets import generate
    text = (ROOT / "docker-compose.yml").read_text()
    for name in generate():
        uses = [m for m in VARIABLE.finditer(text) if m.group(1) == name]
        assert uses, f"{name} is generated but compose never uses it"
        assert all(m.group(2) == ":?" for m in uses), f"{name} has a default somewhere in compose"
    with pytest.raises(LookupError):
        interpolate(text, {})
    interpolate(text, generate())   # with the generated .env, every variable resolves


def test_each_service_of_compose_passes_the_startup_guard_with_generated_secrets():
    from scripts.secrets import generate
    from thidua.security import problems
    composed = yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text(), generate()))
    for name in ("submissions", "ranking", "notifications", "gateway"):
        env = composed["services"][name]["environment"]
        config = {**env, "WEB_SERVER_ADDRESS": env.get("GATEWAY_ADDRESS")}
        assert env["THIDUA_ENV"] == "production"
        assert problems(config) == [], name
    assert "authSource=admin" in composed["services"]["gateway"]["environment"]["MONGO_URI"]


def test_only_the_gateway_is_published_beyond_loopback():
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            if name != "gateway":
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond this machine"


def test_the_secrets_file_is_private_and_never_overwritten_by_accident(tmp_path):
    from scripts.secrets import main
    target = tmp_path / ".env"
    assert main(["--file", str(target)]) == 0
    assert target.stat().st_mode & 0o777 == 0o600
    first = target.read_text()
    with pytest.raises(SystemExit):
        main(["--file", str(target)])
    assert target.read_text() == first
    main(["--file", str(target), "--force"])
    assert target.read_text() != first
    assert ".env" in (ROOT / ".gitignore").read_text().split() and ".env" in (ROOT / ".dockerignore").read_text().split()


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
