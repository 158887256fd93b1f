"""Event signatures: only the producer's key makes an event its consumers act on."""
import pytest

from thidua.signing import InvalidSignature, keys_from, sign, verify
from tests.helpers import report_event

KEYS = {"submissions": "k-submissions-" + "x9" * 20, "ranking": "k-ranking-" + "y8" * 20}


def test_a_signed_event_verifies_and_every_publish_has_a_fresh_nonce():
    event = report_event()
    first, second = sign(event, KEYS), sign(event, KEYS)
    assert first != second
    assert verify(event, first, KEYS) == first.split(":")[2]


def test_a_signature_survives_reencoding_of_the_same_json():
    import json
    event = report_event(unit="Đơn vị U02")
    header = sign(event, KEYS)
    assert verify(json.loads(json.dumps(event, ensure_ascii=True, indent=2)), header, KEYS)


@pytest.mark.parametrize("tamper", [
    lambda e: e["data"].update(version=999),            # the forged version of issue's finding
    lambda e: e.update(id="another-id"),
    lambda e: e["data"]["values"].update({"C1.1": {"actual": 1}}),
])
def test_an_altered_event_is_refused(tamper):
    event = report_event()
    header = sign(event, KEYS)
    tamper(event)
    with pytest.raises(InvalidSignature, match="bad signature"):
        verify(event, header, KEYS)


def test_an_unsigned_or_malformed_signature_is_refused():
    event = report_event()
    for header in (None, "", "v1:submissions:abc", "v0:submissions:n:mac"):
        with pytest.raises(InvalidSignature):
            verify(event, header, KEYS)


def test_another_services_key_cannot_sign_for_submissions():
    event = report_event()
    ranking_signed = sign({**event, "source": "ranking"}, KEYS)   # ranking's key, claiming to be submissions
    with pytest.raises(InvalidSignature):
        verify(event, ranking_signed, KEYS)
    forged = "v1:submissions:n:" + sign({**event, "source": "ranking"}, KEYS).split(":")[3]
    with pytest.raises(InvalidSignature, match="bad signature"):
        verify(event, forged, KEYS)


def test_a_consumer_without_the_producers_key_refuses_and_says_which_key():
    with pytest.raises(InvalidSignature, match="SUBMISSIONS_EVENT_KEY"):
        verify(report_event(), sign(report_event(), KEYS), {"ranking": KEYS["ranking"]})


def test_keys_come_from_configuration_per_producer(monkeypatch):
    monkeypatch.delenv("RANKING_EVENT_KEY", raising=False)
    assert keys_from({"SUBMISSIONS_EVENT_KEY": "a" * 40, "RANKING_EVENT_KEY": "", "OTHER": 1}) == {
        "submissions": "a" * 40}


def test_a_replay_is_the_same_message_again_not_a_redelivery_nor_a_republication():
    from thidua.signing import is_replay
    processed = {"nonce": "n1"}
    assert is_replay({"nonce": "n1", "redelivered": False}, processed)          # the captured copy again
    assert not is_replay({"nonce": "n1", "redelivered": True}, processed)       # the broker's redelivery
    assert not is_replay({"nonce": "n2", "redelivered": False}, processed)      # the relay signed it afresh
    assert not is_replay(None, processed) and not is_replay({"nonce": None}, {"nonce": None})
