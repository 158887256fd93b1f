import pytest

from thidua import config


def test_each_service_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("AMQP_URI", "amqp://u:p@broker:5672/x")
    monkeypatch.setenv("RANKING_DB", "rk")
    loaded = config.load("ranking")
    assert loaded["AMQP_URI"] == "amqp://u:p@broker:5672/x"
    assert loaded["MONGO_DB"] == "rk"
    assert loaded["max_workers"] == 10


def test_retry_delays_are_parsed_and_checked():
    assert config.retry_delays({"RETRY_DELAYS_MS": "50, 100"}) == [50, 100]
    assert config.retry_delays({}) == [1000, 5000, 30000]
    with pytest.raises(ValueError):
        config.retry_delays({"RETRY_DELAYS_MS": "0"})


def test_settings_come_from_the_configuration_then_the_environment_then_the_default(monkeypatch):
    from thidua.settings import Delivery, Gateway, Ranking, Security
    monkeypatch.setenv("DELIVERY_MAX_ATTEMPTS", "7")
    monkeypatch.delenv("LOGIN_ATTEMPTS_PER_MINUTE", raising=False)
    assert Delivery.of({}).max_attempts == 7
    assert Delivery.of({"DELIVERY_MAX_ATTEMPTS": 3}).max_attempts == 3
    assert Gateway.of({}).login_attempts_per_minute == 10
    assert Gateway.of({"CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == \
        ("https://a.example", "https://b.example")
    assert Security.of({"DEMO_MODE": "true"}).demo_mode is True
    assert Security.of({"DEMO_MODE": False}).demo_mode is False
    assert Ranking.of({}).parallel == 2 and Ranking.of({"RANKING_PARALLEL": "4"}).parallel == 4


@pytest.mark.parametrize("key, value", [("DELIVERY_MAX_ATTEMPTS", "many"), ("DEMO_MODE", "perhaps"),
                                        ("RETRY_DELAYS_MS", "100,-5"), ("RANKING_PARALLEL", "0")])
def test_a_value_that_cannot_be_read_names_its_variable(key, value):
    from thidua.settings import Settings
    with pytest.raises(ValueError, match=key):
        Settings.of({key: value})


def test_each_setting_is_written_once_and_documented():
    from thidua.settings import variables
    readme = (config.ROOT / "README.md").read_text()
    assert sorted(v for v in variables() if f"`{v}`" not in readme) == []
    for path in config.ROOT.glob("services/*/config.yml"):   # the YAML does not repeat a setting
        assert [v for v in variables() if f"${{{v}" in path.read_text() and v != "LOG_LEVEL"] == [], path


def test_every_service_logs_through_the_one_configuration(capsys):
    import logging.config
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        for service in ("gateway", "submissions", "ranking", "notifications"):
            logging.config.dictConfig(config.load(service)["LOGGING"])
            logging.getLogger("thidua.test").warning("hello")
            assert f"WARNING {service} [-] thidua.test: hello" in capsys.readouterr().err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_pyproject_lists_every_third_party_package_the_code_imports():
    import ast
    import sys
    import tomllib
    from importlib.metadata import packages_distributions
    project = tomllib.loads((config.ROOT / "pyproject.toml").read_text())["project"]
    declared = {d.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                for d in project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds]}
    distributions = packages_distributions()
    missing = set()
    for folder in ("services", "thidua", "scripts"):
        for path in (config.ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"services", "thidua",
                                                                                               "scripts"}:
                    if not {d.lower() for d in distributions.get(top, [top])} & declared:
                        missing.add(f"{top} ({path.relative_to(config.ROOT)})")
    assert sorted(missing) == []


def test_no_code_reads_a_setting_around_the_settings_object():
    """A setting read as ``config.get("X", default)`` would repeat its default, and since a
    config.yml no longer lists it, would miss the environment: read it through thidua.settings."""
    import re
    from thidua.settings import variables
    read = re.compile(r"""config(?:\.get\(|\[)\s*["']([A-Z_]+)["']""")
    bypassing = []
    for folder in ("services", "thidua", "scripts"):
        for path in (config.ROOT / folder).rglob("*.py"):
            if path.name != "settings.py":
                bypassing += [f"{path.relative_to(config.ROOT)}: {name}" for name in read.findall(path.read_text())
                              if name in variables()]
    assert bypassing == []


def test_a_refused_call_is_one_line_in_the_log_and_a_fault_keeps_its_traceback():
    import io
    import logging
    from thidua.errors import Forbidden
    from thidua.settings import log_handler
    handler = log_handler("submissions")
    out = io.StringIO()
    handler.stream = out
    log = logging.getLogger("nameko.containers")
    log.addHandler(handler)
    try:
        try:
            raise Forbidden("Only the officers of unit U02 may create its report.")
        except Forbidden as exc:
            log.warning("(expected) error handling worker %s: %s", "<worker>", exc, exc_info=True)
        try:
            raise KeyError("values")
        except KeyError as exc:
            log.exception("error handling worker %s: %s", "<worker>", exc)
    finally:
        log.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert "(expected) error handling worker <worker>: Only the officers" in lines[0]
    assert "Traceback" in lines[2] and len([l for l in lines if "Traceback" in l]) == 1
