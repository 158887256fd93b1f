"""The startup guard: secrets are required outside demo mode, demo mode stays on loopback, and
production refuses the broker's and the database's default logins."""
import pytest

from thidua.security import DEFAULT_SECRET, problems, secret_bits

STRONG = "kq3N-vT9xZ_2bLm8Rw4Yc6Hs1Pd7Fg5Ja0Ue-Wi3Oo9Qn2Xr"
PRODUCTION = {"THIDUA_ENV": "production", "DEMO_MODE": "false", "TOKEN_SECRET": STRONG,
              "AMQP_URI": "amqp://thidua-bus:Zx8-long-generated@rabbitmq:5672/",
              "MONGO_URI": "mongodb://thidua:Qw7-long-generated@mongo:27017/?replicaSet=rs0&authSource=admin"}


@pytest.mark.parametrize("secret, why", [
    (None, "not set"), ("", "not set"), (DEFAULT_SECRET, "development default"), ("short-but-random-9", "characters"),
    ("a" * 32, "predictable"), ("ab" * 20, "predictable"),
])
@pytest.mark.parametrize("env", ["production", "Production", " PRODUCTION ", "development", "staging", None])
def test_outside_demo_mode_no_service_starts_without_a_strong_secret(secret, why, env):
    config = {"THIDUA_ENV": env, "DEMO_MODE": "false", "TOKEN_SECRET": secret}
    assert any(why in p and "TOKEN_SECRET" in p for p in problems(config))


def test_a_generated_secret_passes_and_has_hundreds_of_bits():
    import secrets
    generated = secrets.token_urlsafe(48)
    assert secret_bits(generated) > 256
    assert problems({**PRODUCTION, "TOKEN_SECRET": generated}) == []


@pytest.mark.parametrize("env", ["production", "PRODUCTION", "Production "])
def test_production_never_runs_in_demo_mode_however_it_is_spelled(env):
    assert any("DEMO_MODE" in p for p in problems({**PRODUCTION, "THIDUA_ENV": env, "DEMO_MODE": "True"}))


@pytest.mark.parametrize("uri", ["amqp://guest:guest@rabbitmq:5672/", "amqp://rabbitmq:5672/",
                                 "amqp://thidua:thidua@rabbitmq:5672/"])
def test_production_refuses_the_brokers_default_logins(uri):
    assert any("AMQP_URI" in p for p in problems({**PRODUCTION, "AMQP_URI": uri}))


def test_production_refuses_a_database_without_authentication():
    assert any("MONGO_URI" in p for p in problems({**PRODUCTION, "MONGO_URI": "mongodb://mongo:27017/?replicaSet=rs0"}))


@pytest.mark.parametrize("address, allowed", [("127.0.0.1:8080", True), ("localhost:8080", True), ("[::1]:8080", True),
                                              ("0.0.0.0:8080", False), (":8080", False), ("10.0.0.5:8080", False)])
def test_demo_mode_listens_on_loopback_unless_told(address, allowed):
    config = {"DEMO_MODE": "true", "WEB_SERVER_ADDRESS": address}
    assert (problems(config) == []) is allowed
    assert problems({**config, "DEMO_ALLOW_REMOTE": "true"}) == []


def test_demo_mode_needs_no_secret_and_a_development_platform_with_one_starts():
    assert problems({"DEMO_MODE": "true", "TOKEN_SECRET": DEFAULT_SECRET}) == []
    assert problems({"THIDUA_ENV": "development", "DEMO_MODE": "false", "TOKEN_SECRET": STRONG}) == []


def test_a_service_with_events_needs_the_producers_keys_strong_outside_demo_mode(monkeypatch):
    for name in ("SUBMISSIONS_EVENT_KEY", "RANKING_EVENT_KEY"):
        monkeypatch.delenv(name, raising=False)
    keys = {"SUBMISSIONS_EVENT_KEY": STRONG, "RANKING_EVENT_KEY": STRONG[::-1]}
    assert problems({**PRODUCTION, **keys}, events=True) == []
    missing = problems({**PRODUCTION, "SUBMISSIONS_EVENT_KEY": STRONG}, events=True)
    assert len(missing) == 1 and "RANKING_EVENT_KEY is not set" in missing[0]
    assert any("RANKING_EVENT_KEY" in p for p in problems({**PRODUCTION, **keys, "RANKING_EVENT_KEY": "x" * 40},
                                                          events=True))
    assert problems({"DEMO_MODE": "true", "SUBMISSIONS_EVENT_KEY": "demo", "RANKING_EVENT_KEY": "demo"},
                    events=True) == []
    assert len(problems({"DEMO_MODE": "true"}, events=True)) == 2     # a demo needs keys too
