"""Sealing (thidua/seal.py): only the key opens a sealed value, only where it was sealed for."""
import pytest

from thidua import seal

KEY = "k" * 48


def test_a_sealed_value_opens_with_its_key_for_its_context_only():
    sealed = seal.seal(KEY, b'{"leading_unit": "U01"}', "here", bytes(range(16)))
    assert b"U01" not in sealed.encode() and "U01" not in sealed
    assert seal.unseal(KEY, sealed, "here") == b'{"leading_unit": "U01"}'
    for key, context in (("j" * 48, "here"), (KEY, "there")):
        with pytest.raises(seal.Unsealable):
            seal.unseal(key, sealed, context)


def test_an_altered_or_malformed_value_does_not_open():
    sealed = seal.seal(KEY, b"secret", "here", bytes(16))
    raw = bytearray(sealed.encode())
    raw[30] = ord("A") if raw[30] != ord("A") else ord("B")
    for bad in (raw.decode(), "", "not base64 !", sealed[:-8]):
        with pytest.raises(seal.Unsealable):
            seal.unseal(KEY, bad, "here")


def test_the_length_of_a_sealed_value_says_little_of_its_content_and_a_fresh_nonce_hides_repeats():
    short, long = (seal.seal(KEY, text, "c", bytes(16)) for text in (b"{}", b"x" * 400))
    assert len(short) == len(long)
    assert seal.seal(KEY, b"same", "c", bytes(16)) != seal.seal(KEY, b"same", "c", bytes([1]) * 16)


def test_there_is_no_sealing_without_a_key_or_with_a_reused_shape_of_nonce():
    with pytest.raises(ValueError):
        seal.seal("", b"x", "c", bytes(16))
    with pytest.raises(ValueError):
        seal.seal(KEY, b"x", "c", b"short")


def test_the_services_that_seal_ballots_refuse_to_start_without_a_strong_key(monkeypatch):
    from thidua.security import problems
    monkeypatch.delenv("BALLOT_SEAL_KEY", raising=False)
    strong = {"TOKEN_SECRET": "t" + KEY[1:] + "Zq9-xW3_pL7", "BALLOT_SEAL_KEY": "Hk2-9qLz_Wm4" * 4}
    assert not any("BALLOT_SEAL_KEY" in p for p in problems(strong, ballots=True))
    missing = problems({**strong, "BALLOT_SEAL_KEY": ""}, ballots=True)
    assert any("BALLOT_SEAL_KEY is not set" in p for p in missing)
    assert any("BALLOT_SEAL_KEY" in p for p in problems({**strong, "BALLOT_SEAL_KEY": "short"}, ballots=True))
    assert not any("BALLOT_SEAL_KEY" in p for p in problems({**strong, "BALLOT_SEAL_KEY": ""}))   # not its business
