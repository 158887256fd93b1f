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
