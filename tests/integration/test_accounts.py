"""Accounts and the services' own check of the caller, outside demo mode: a call that
bypasses the gateway cannot act for anyone whose signed token it does not hold."""
import secrets
import time

import pytest

from services.submissions.service import SubmissionsService
from thidua import tokens
from thidua.errors import Unauthenticated, ValidationFailed
from tests.helpers import demo_reference
from tests.integration.test_submissions import Client

pytestmark = pytest.mark.integration
SECRET = secrets.token_urlsafe(48)   # strong, as every service outside demo mode needs
GOOD = {"unit": "U02", "period": "2021-Q1", "draft": True}


@pytest.fixture
def strict(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE="false",
                                                                      TOKEN_SECRET=SECRET))
    container.start()
    svc = Client(container)
    reference = demo_reference()
    for person in reference["people"]:
        person.pop("demo")   # real accounts here
    svc.as_({"id": "system:test"}).load_reference_data(reference)
    svc.as_({"id": "system:test"}).set_password("canbo.u02", "mat-khau-cua-u02")
    return svc


def token_for(svc, person, password):
    session = svc.login(person, password)["session"]
    return tokens.issue(SECRET, person, session, "access", time.time(), 900)


def test_a_plain_claim_to_be_someone_is_refused(strict, db_of):
    with pytest.raises(Unauthenticated, match="signed access token"):
        strict.as_({"id": "canbo.u02"}).submit_report(GOOD)
    assert db_of("submissions").reports.count_documents({}) == 0


def test_the_holder_of_the_persons_token_may_act(strict):
    token = token_for(strict, "canbo.u02", "mat-khau-cua-u02")
    assert strict.as_({"id": "canbo.u02", "token": token}).submit_report(GOOD)["status"] == "DRAFT"


def test_someone_elses_token_or_a_signed_out_one_does_not_do(strict, db_of):
    token = token_for(strict, "canbo.u02", "mat-khau-cua-u02")
    with pytest.raises(Unauthenticated, match="does not belong"):
        strict.as_({"id": "hanh.ptv", "token": token}).submit_report({**GOOD, "unit": "U01"})
    claims = tokens.verify(SECRET, token, "access", time.time())
    strict.as_({"id": "canbo.u02", "token": token}).logout(claims["sid"])
    with pytest.raises(Unauthenticated):
        strict.as_({"id": "canbo.u02", "token": token}).submit_report(GOOD)
    assert db_of("submissions").reports.count_documents({}) == 0


def test_demo_accounts_are_refused_outside_demo_mode(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE="false"))
    container.start()
    svc = Client(container)
    svc.as_({"id": "system:test"}).load_reference_data(demo_reference())
    svc.as_({"id": "system:test"}).set_password("canbo.u03", "thidua-demo")
    with pytest.raises(Unauthenticated, match="demo mode"):
        svc.login("canbo.u03", "thidua-demo")


def test_passwords_are_stored_as_argon2id_and_never_shown(strict, db_of):
    stored = db_of("submissions").people.find_one({"_id": "canbo.u02"})
    assert stored["password_hash"].startswith("$argon2id$")
    assert all("password_hash" not in p for p in strict.audience("members", "CUM-01"))
    with pytest.raises(ValidationFailed):
        strict.as_({"id": "system:test"}).set_password("canbo.u02", "short")


def test_an_answer_about_a_person_never_carries_their_account(strict):
    signed_in = strict.login("canbo.u02", "mat-khau-cua-u02")["person"]
    me = strict.as_({"id": "canbo.u02", "token": token_for(strict, "canbo.u02", "mat-khau-cua-u02")}).me()
    assert signed_in["id"] == me["id"] == "canbo.u02"
    for shown in (signed_in, me):
        assert not {"password_hash", "failed_logins", "locked_until"} & set(shown)


def test_whois_answers_the_checked_caller_for_the_other_services(strict):
    token = token_for(strict, "canbo.u02", "mat-khau-cua-u02")
    who = strict.as_({"id": "canbo.u02", "token": token}).whois()
    assert (who["id"], who["role"], who["unit"]) == ("canbo.u02", "unit_officer", "U02") and who["session"]
    with pytest.raises(Unauthenticated):
        strict.whois()


def test_a_machine_client_acts_with_its_api_token_until_it_is_revoked(strict, db_of):
    strict.as_({"id": "system:test"}).set_password("admin", "mat-khau-quan-tri")
    admin = strict.as_({"id": "admin", "token": token_for(strict, "admin", "mat-khau-quan-tri")})
    issued = admin.create_api_token("canbo.u02", "Hệ thống báo cáo của U02")
    assert issued["token"].startswith("tdk_") and issued["person"] == "canbo.u02"
    assert db_of("submissions").api_tokens.count_documents({"_id": issued["token"]}) == 0   # kept as a hash only
    machine = strict.as_({"id": "canbo.u02", "api_token": issued["token"]})
    assert machine.submit_report(GOOD)["created_by"] == "canbo.u02"
    assert admin.revoke_api_token(issued["id"]) == {"id": issued["id"], "revoked": True}
    with pytest.raises(Unauthenticated, match="API token"):
        machine.whois()
