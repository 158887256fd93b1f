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
    svc.load_reference_data(reference, {"id": "system:test"})
    svc.set_password("canbo.u02", "mat-khau-cua-u02", {"id": "system:test"})
    return svc


def token_for(svc, person, password):
    session = svc.login(person, password)["session"]
    return tokens.issue(SECRET, person, session, "access", time.time(), 900)


def test_a_plain_claim_to_be_someone_is_refused(strict, db_of):
    with pytest.raises(Unauthenticated, match="signed access token"):
        strict.submit_report(GOOD, {"id": "canbo.u02"})
    assert db_of("submissions").reports.count_documents({}) == 0


def test_the_holder_of_the_persons_token_may_act(strict):
    token = token_for(strict, "canbo.u02", "mat-khau-cua-u02")
    assert strict.submit_report(GOOD, {"id": "canbo.u02", "token": token})["status"] == "DRAFT"


def test_someone_elses_token_or_a_signed_out_one_does_not_do(strict, db_of):
    token = token_for(strict, "canbo.u02", "mat-khau-cua-u02")
    with pytest.raises(Unauthenticated, match="does not belong"):
        strict.submit_report({**GOOD, "unit": "U01"}, {"id": "hanh.ptv", "token": token})
    claims = tokens.verify(SECRET, token, "access", time.time())
    strict.logout(claims["sid"], {"id": "canbo.u02", "token": token})
    with pytest.raises(Unauthenticated):
        strict.submit_report(GOOD, {"id": "canbo.u02", "token": token})
    assert db_of("submissions").reports.count_documents({}) == 0


def test_demo_accounts_are_refused_outside_demo_mode(container_factory, service_config):
    container = container_factory(SubmissionsService, service_config("submissions", DEMO_MODE="false"))
    container.start()
    svc = Client(container)
    svc.load_reference_data(demo_reference(), {"id": "system:test"})
    svc.set_password("canbo.u03", "thidua-demo", {"id": "system:test"})
    with pytest.raises(Unauthenticated, match="demo mode"):
        svc.login("canbo.u03", "thidua-demo")


def test_passwords_are_stored_as_argon2id_and_never_shown(strict, db_of):
    stored = db_of("submissions").people.find_one({"_id": "canbo.u02"})
    assert stored["password_hash"].startswith("$argon2id$")
    assert all("password_hash" not in p for p in strict.audience("members", "CUM-01"))
    with pytest.raises(ValidationFailed):
        strict.set_password("canbo.u02", "short", {"id": "system:test"})
