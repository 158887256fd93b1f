"""The caller travels in the RPC context and is resolved once per worker, by the service."""
import pytest
from nameko.rpc import RpcProxy
from nameko.standalone.rpc import ServiceRpcProxy

from thidua.caller import Caller, CallerProvider, Forward, ask_submissions
from thidua.errors import Unauthenticated
from thidua.rpc import rpc

pytestmark = pytest.mark.integration
RESOLVED = []


def resolve(service, credential):
    RESOLVED.append(credential)
    if credential.get("token") != "good":
        raise Unauthenticated("bad token")
    return Caller(credential["id"], role="unit_officer", unit="U02")


class Owner:
    """Stands for the service that owns people: it checks the credential itself."""
    name = "submissions"
    caller = CallerProvider(resolve)

    @rpc
    def whois(self):
        self.caller.require()
        return {**self.caller.as_dict(), "checked": self.caller.role}   # the second access is not a new resolve


class Asker:
    name = "asker"
    submissions = RpcProxy("submissions")
    caller = CallerProvider(ask_submissions)
    forward_caller = Forward()

    @rpc
    def who(self):
        return self.caller.as_dict()

    @rpc
    def relay(self, claimed):
        # What the gateway does: put the request's credential into the worker's context.
        self.forward_caller(claimed)
        return self.submissions.whois()


@pytest.fixture
def running(container_factory, rabbit_config):
    RESOLVED.clear()
    containers = [container_factory(cls, dict(rabbit_config)) for cls in (Owner, Asker)]
    for container in containers:
        container.start()
    return rabbit_config


def test_the_credential_in_context_is_resolved_once_by_the_owner(running):
    with ServiceRpcProxy("submissions", running, context_data={"caller": {"id": "canbo.u02", "token": "good"}}) \
            as submissions:
        assert submissions.whois() == {"id": "canbo.u02", "role": "unit_officer", "unit": "U02",
                                       "checked": "unit_officer"}
    assert RESOLVED == [{"id": "canbo.u02", "token": "good"}]


def test_another_service_asks_the_owner_and_the_credential_travels_along(running):
    with ServiceRpcProxy("asker", running, context_data={"caller": {"id": "canbo.u02", "token": "good"}}) as asker:
        assert asker.who() == {"id": "canbo.u02", "role": "unit_officer", "unit": "U02"}
    with ServiceRpcProxy("asker", running, context_data={"caller": {"id": "canbo.u02", "token": "forged"}}) \
            as asker:
        with pytest.raises(Unauthenticated):
            asker.who()


def test_a_forwarded_credential_replaces_the_one_the_worker_was_called_with(running):
    with ServiceRpcProxy("asker", running) as asker:
        assert asker.relay({"id": "canbo.u02", "token": "good", "junk": "dropped"})["id"] == "canbo.u02"
        with pytest.raises(Unauthenticated):
            asker.relay(None)
    assert RESOLVED == [{"id": "canbo.u02", "token": "good"}]


def test_no_credential_is_nobody_and_a_change_needs_someone(running):
    with ServiceRpcProxy("submissions", running) as submissions:
        with pytest.raises(Unauthenticated):
            submissions.whois()
    assert RESOLVED == []   # nothing claimed, nothing to check
