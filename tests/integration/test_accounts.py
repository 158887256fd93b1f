"""Accounts, sessions and callers on the bus, outside demo mode: a call that bypasses the gateway
cannot act for anyone. What travels is the gateway's one-minute assertion of a person it checked
(naming a session of that very person, or an API token) or a service token; a bare name,
``system:`` ones included, gets nothing, and the password is checked by the gateway alone."""
import json
import os
import secrets
import statistics
import time

import pytest

from services.submissions.service import SubmissionsService
from tests.helpers import demo_reference, eventually, system
from tests.integration.test_submissions import Client
from thidua import tokens
from thidua.caller import vouch
from thidua.errors import Forbidden, TooManyAttempts, Unauthenticated, ValidationFailed
from thidua.security import password_matches

pytestmark = pytest.mark.integration
SECRET = secrets.token_urlsafe(48)   # strong, as every service outside demo mode needs
GOOD = {"unit": "U02", "period": "2021-Q1", "draft": True}
WRONG = "Wrong person id or password."


def service_secret():
    return os.environ["SERVICE_SECRET"]   # tests/conftest.py: the services and operator tools hold it


@pytest.fixture
def strict(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE="false",
                                                                      TOKEN_SECRET=SECRET))
    container.start()
    svc = Client(container)
    reference = demo_reference()
    for person in reference["people"]:
        person.pop("demo")   # real accounts here
    svc.as_(system()).load_reference_data(reference)
    svc.as_(system()).set_password("canbo.u02", "mat-khau-cua-u02")
    svc.as_(system()).set_password("admin", "mat-khau-quan-tri")
    return svc


def sign_in(svc, person, password, address="10.0.0.1"):
    """What the gateway does: ask for the hash, check the password itself, report the outcome."""
    gateway = svc.as_(system("gateway"))
    ok = password_matches(gateway.sign_in_hash(person)["hash"], password)
    return gateway.finish_sign_in(person, ok, address)


def acting(svc, person, password="mat-khau-cua-u02", address="10.0.0.1"):
    """The service as the person of a new session, with the assertion the gateway forwards."""
    session = sign_in(svc, person, password, address)["session"]
    return svc.as_(vouch(service_secret(), person, session=session)), session


def test_a_plain_claim_to_be_someone_is_refused(strict, db_of):
    with pytest.raises(Unauthenticated, match="Sign in first"):
        strict.as_({"id": "canbo.u02"}).submit_report(GOOD)
    assert db_of("submissions").reports.count_documents({}) == 0


@pytest.mark.parametrize("demo", ["false", "true"])
def test_a_system_name_without_a_service_token_gets_nothing(container_factory, service_config, db_of, demo):
    """Finding 2: ``{"id": "system:x"}`` created an administrator who could then sign in."""
    container = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE=demo))
    container.start()
    svc = Client(container)
    intruder = svc.as_({"id": "system:x"})
    with pytest.raises(Unauthenticated):
        intruder.load_reference_data({"people": [{"id": "mallory", "name": "M", "role": "administrator"}]})
    with pytest.raises(Unauthenticated):
        intruder.set_password("admin", "mat-khau-cua-ke-gian")
    assert db_of("submissions").people.count_documents({}) == 0


@pytest.mark.parametrize("forge", [
    lambda now: tokens.service_token("another-secret-" + "x" * 40, "x", now),                 # not our secret
    lambda now: tokens.issue(service_secret(), "system:x", None, "service", now, 3600, tokens.BUS_AUDIENCE),
    lambda now: tokens.issue(service_secret(), "system:x", None, "service", now - 900, 600, tokens.BUS_AUDIENCE),
    lambda now: tokens.issue(service_secret(), "system:x", None, "assertion", now, 60, tokens.BUS_AUDIENCE, api="t"),
    lambda now: tokens.issue(service_secret(), "system:x", None, "service", now, 60),          # a person's audience
    lambda now: tokens.issue(os.environ.get("TOKEN_SECRET", SECRET), "system:x", None, "access", now, 60),
])
def test_a_service_token_must_be_genuine_current_and_short_lived(strict, db_of, forge):
    with pytest.raises(Unauthenticated):
        strict.as_({"assertion": forge(time.time())}).load_reference_data(
            {"people": [{"id": "mallory", "name": "M", "role": "administrator"}]})
    assert db_of("submissions").people.find_one({"_id": "mallory"}) is None


def test_the_management_api_alone_cannot_make_a_system_caller(strict, rabbit_config, rabbit_manager, db_of):
    """Finding 2 through RabbitMQ's management HTTP API: an RPC request published by hand, with a
    system name in its context, is refused and changes nothing."""
    vhost, replies = rabbit_config["vhost"], "attacker-replies"
    rabbit_manager.create_queue(vhost, replies, auto_delete=False, durable=False)
    rabbit_manager.create_queue_binding(vhost, "nameko-rpc", replies, replies)
    request = {"args": [{"people": [{"id": "mallory", "name": "M", "role": "administrator"}]}], "kwargs": {}}
    for caller in ({"id": "system:x"}, {"id": "admin"}):
        rabbit_manager.publish(vhost, "nameko-rpc", "submissions.load_reference_data", json.dumps(request), {
            "reply_to": replies, "correlation_id": secrets.token_hex(8), "content_type": "application/json",
            "headers": {"nameko.caller": caller}})
        [answer] = eventually(lambda: rabbit_manager._post(   # RabbitMQ 3.7+ reads "ackmode"
            "queues", vhost, replies, "get", json={"count": 1, "ackmode": "ack_requeue_false", "encoding": "auto"}),
            what="the refusal")
        assert json.loads(answer["payload"])["error"]["exc_type"] == "Unauthenticated"
    assert db_of("submissions").people.find_one({"_id": "mallory"}) is None


def test_the_holder_of_the_gateways_assertion_may_act(strict):
    person, _ = acting(strict, "canbo.u02")
    assert person.submit_report(GOOD)["status"] == "DRAFT"


def test_a_session_counts_only_for_its_own_person(strict, db_of):
    """Finding 1: a credential for person B carrying A's session id was accepted."""
    _, session = acting(strict, "canbo.u02")
    for someone_else in ("admin", "hanh.ptv"):
        forged = strict.as_(vouch(service_secret(), someone_else, session=session))
        with pytest.raises(Unauthenticated, match="not this person's"):
            forged.upsert_person({"id": "mallory", "name": "M", "role": "administrator"})
    with pytest.raises(Unauthenticated):
        strict.as_(vouch(service_secret(), "admin", session="no-such-session")).whois()
    assert db_of("submissions").people.find_one({"_id": "mallory"}) is None
    gateway = strict.as_(system("gateway"))
    assert gateway.session_active(session, "canbo.u02") is True
    assert gateway.session_active(session, "admin") is False


def test_a_signed_out_session_no_longer_acts(strict, db_of):
    person, session = acting(strict, "canbo.u02")
    person.logout(session)
    with pytest.raises(Unauthenticated, match="ended"):
        person.submit_report(GOOD)
    assert db_of("submissions").reports.count_documents({}) == 0


def test_changing_ones_password_ends_every_other_session_but_this_one(strict):
    """Finding 7: a password change left the person's other sessions alive."""
    here, _ = acting(strict, "canbo.u02", address="10.0.0.1")
    elsewhere, _ = acting(strict, "canbo.u02", address="10.0.0.2")
    changed = here.set_password("canbo.u02", "mat-khau-moi-cua-u02")
    assert changed["sessions_ended"] == 1
    assert here.whois()["id"] == "canbo.u02"
    with pytest.raises(Unauthenticated):
        elsewhere.whois()


def test_an_administrators_reset_ends_every_session_of_the_person(strict):
    officer, _ = acting(strict, "canbo.u02")
    admin, _ = acting(strict, "admin", "mat-khau-quan-tri")
    assert admin.set_password("canbo.u02", "dat-lai-mat-khau-u02")["sessions_ended"] == 1
    with pytest.raises(Unauthenticated):
        officer.whois()
    assert admin.whois()["id"] == "admin"


def test_only_the_services_check_passwords_sessions_and_api_tokens(strict):
    person, session = acting(strict, "canbo.u02")
    for caller in (strict, person):
        for ask in (lambda c: c.sign_in_hash("admin"), lambda c: c.finish_sign_in("admin", True, "x"),
                    lambda c: c.session_active(session, "canbo.u02"), lambda c: c.api_token_owner("0" * 64)):
            with pytest.raises((Unauthenticated, Forbidden)):
                ask(caller)


def test_every_failed_sign_in_looks_the_same(container_factory, service_config, strict):
    """Finding 9: demo accounts had a message of their own, and an unknown id answered in a few
    milliseconds where a known one took an argon2 check."""
    gateway = strict.as_(system("gateway"))
    assert gateway.sign_in_hash("nobody.here") == {"hash": None}
    messages = set()
    for person, password in (("nobody.here", "x" * 12), ("canbo.u02", "sai-mat-khau-u02")):
        with pytest.raises(Unauthenticated) as refused:
            sign_in(strict, person, password)
        messages.add(str(refused.value))
    demo = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE="false"))
    demo.start()
    with_demo_accounts = Client(demo)
    with_demo_accounts.as_(system()).load_reference_data(demo_reference())
    with_demo_accounts.as_(system()).set_password("canbo.u03", "thidua-demo")
    assert with_demo_accounts.as_(system("gateway")).sign_in_hash("canbo.u03") == {"hash": None}
    with pytest.raises(Unauthenticated) as refused:   # even if the gateway said yes
        with_demo_accounts.as_(system("gateway")).finish_sign_in("canbo.u03", True, "10.0.0.1")
    messages.add(str(refused.value))
    assert messages == {WRONG}

    known = gateway.sign_in_hash("canbo.u02")["hash"]

    def seconds(password_hash):
        started = time.perf_counter()
        assert password_matches(password_hash, "sai-mat-khau-u02") is False
        return time.perf_counter() - started
    unknown = statistics.median(seconds(None) for _ in range(5))
    wrong = statistics.median(seconds(known) for _ in range(5))
    assert 0.5 < unknown / wrong < 2, (unknown, wrong)   # the same argon2 work either way


def test_a_stranger_guessing_locks_out_only_their_own_address(strict, db_of):
    """Finding 9: five wrong passwords from anyone locked the owner out for 15 minutes."""
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            sign_in(strict, "canbo.u02", "doan-mo-mat-khau", address="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        sign_in(strict, "canbo.u02", "mat-khau-cua-u02", address="203.0.113.9")
    assert sign_in(strict, "canbo.u02", "mat-khau-cua-u02", address="10.0.0.1")["session"]
    failed = db_of("submissions").audit.count_documents({"action": "login.failed", "entity_id": "canbo.u02"})
    assert failed == 5   # every attempt is in the trail


def test_passwords_are_stored_as_argon2id_and_never_shown(strict, db_of):
    stored = db_of("submissions").people.find_one({"_id": "canbo.u02"})
    assert stored["password_hash"].startswith("$argon2id$")
    assert all("password_hash" not in p for p in strict.as_(system()).audience("members", "CUM-01"))
    with pytest.raises(ValidationFailed):
        strict.as_(system()).set_password("canbo.u02", "short")


def test_an_audience_with_its_e_mail_addresses_is_for_the_services_and_administrators(strict):
    """Finding 7: ``audience('everyone')`` listed every e-mail address to any broker client."""
    officer, _ = acting(strict, "canbo.u02")
    with pytest.raises(Unauthenticated):
        strict.audience("everyone")
    with pytest.raises(Forbidden):
        officer.audience("everyone")
    assert strict.as_(system()).audience("everyone")


def test_an_answer_about_a_person_never_carries_their_account(strict):
    signed_in = sign_in(strict, "canbo.u02", "mat-khau-cua-u02")["person"]
    me = acting(strict, "canbo.u02")[0].me()
    assert signed_in["id"] == me["id"] == "canbo.u02"
    for shown in (signed_in, me):
        assert not {"password_hash", "failed_logins", "locked_until"} & set(shown)


def test_whois_answers_the_checked_caller_for_the_other_services(strict):
    person, session = acting(strict, "canbo.u02")
    who = person.whois()
    assert (who["id"], who["role"], who["unit"], who["session"]) == ("canbo.u02", "unit_officer", "U02", session)
    with pytest.raises(Unauthenticated):
        strict.whois()


def test_a_machine_client_acts_with_its_api_token_until_it_is_revoked(strict, db_of):
    admin, _ = acting(strict, "admin", "mat-khau-quan-tri")
    token = tokens.new_api_token()   # the gateway makes it; submissions sees its digest only
    issued = admin.create_api_token("canbo.u02", "Hệ thống báo cáo của U02", tokens.api_token_digest(token))
    assert token.startswith("tdk_") and issued["person"] == "canbo.u02" and "token" not in issued
    assert db_of("submissions").api_tokens.count_documents({"_id": token}) == 0   # kept as a hash only
    with pytest.raises(ValidationFailed):
        admin.create_api_token("canbo.u02", "x", token)   # never the token itself
    owner = strict.as_(system("gateway")).api_token_owner(tokens.api_token_digest(token))
    assert owner == {"person": "canbo.u02", "id": issued["id"]}
    machine = strict.as_(vouch(service_secret(), "canbo.u02", api_token=issued["id"]))
    assert machine.submit_report(GOOD)["created_by"] == "canbo.u02"
    with pytest.raises(Unauthenticated, match="API token"):   # the token's id vouches for its owner only
        strict.as_(vouch(service_secret(), "admin", api_token=issued["id"])).whois()
    assert admin.revoke_api_token(issued["id"]) == {"id": issued["id"], "revoked": True}
    with pytest.raises(Unauthenticated, match="API token"):
        machine.whois()
