"""Structured logs and the metrics' scrape-time readings, without a broker or a database."""
import io
import json
import logging
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY, generate_latest

from thidua import correlation, metrics
from thidua.settings import Logging, log_handler


def logged(monkeypatch, write, fmt="json"):
    monkeypatch.setenv("LOG_FORMAT", fmt)
    handler, out = log_handler("ranking"), io.StringIO()
    handler.stream = out
    log = logging.getLogger("thidua.test")
    log.addHandler(handler)
    try:
        write(log)
    finally:
        log.removeHandler(handler)
    return out.getvalue().splitlines()


def test_json_logs_are_one_object_a_line_with_the_worker_s_correlation_event_and_caller(monkeypatch):
    worker = SimpleNamespace(args=({"id": "evt-1", "type": "report.submitted.v1"},),
                             data={correlation.KEY: "req-42", "caller": {"id": "canbo.u02"}})
    provider = correlation.CorrelationId()

    def write(log):
        provider.worker_setup(worker)
        try:
            log.info("recomputed %s", "CUM-01")
            try:
                raise KeyError("values")
            except KeyError:
                log.exception("failed\non two lines")
        finally:
            provider.worker_teardown(worker)
        log.warning("outside any worker")

    lines = logged(monkeypatch, write)
    assert len(lines) == 3   # the traceback and the message's newline stay inside their object
    first, second, third = (json.loads(line) for line in lines)
    assert first == {"time": first["time"], "level": "INFO", "service": "ranking", "logger": "thidua.test",
                     "message": "recomputed CUM-01", "correlation_id": "req-42", "event_id": "evt-1",
                     "caller": "canbo.u02"}
    assert first["time"].endswith("Z") and first["time"][10] == "T"
    assert second["message"] == "failed\non two lines" and "KeyError: 'values'" in second["exception"]
    assert third == {"time": third["time"], "level": "WARNING", "service": "ranking", "logger": "thidua.test",
                     "message": "outside any worker"}


def test_text_stays_the_default_format(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert Logging.of({}).format == "text"
    lines = logged(monkeypatch, lambda log: log.info("hello"), fmt="text")
    assert lines[0].endswith("INFO ranking [-] thidua.test: hello")


@pytest.mark.parametrize("key, value", [("LOG_FORMAT", "xml"), ("METRICS_PORT", "70000"), ("QUEUE_TYPE", "stream")])
def test_observability_settings_name_their_variable_when_unreadable(key, value):
    from thidua.settings import Settings
    with pytest.raises(ValueError, match=key):
        Settings.of({key: value})


def test_readings_of_one_gauge_are_merged_and_a_failing_one_does_not_break_the_scrape():
    def broken():
        raise ConnectionError("database down")
    metrics.reading("a", "thidua_test_waiting", "Test gauge", ("channel",), lambda: [(("mail",), 2)])
    metrics.reading("b", "thidua_test_waiting", "Test gauge", ("channel",), lambda: [(("webhook",), 5)])
    metrics.reading("c", "thidua_test_waiting", "Test gauge", ("channel",), broken)
    try:
        text = generate_latest(REGISTRY).decode()
    finally:
        for key in "abc":
            metrics.forget(key)
    assert text.count("# HELP thidua_test_waiting ") == 1
    assert 'thidua_test_waiting{channel="mail"} 2.0' in text
    assert 'thidua_test_waiting{channel="webhook"} 5.0' in text
    after = generate_latest(REGISTRY).decode()
    assert 'thidua_metric_reading_errors_total{metric="thidua_test_waiting"} 1.0' in after   # counted
    assert 'channel="mail"' not in after   # forgotten with its container


def test_an_event_type_label_is_bounded_to_real_event_types():
    def message(body):
        return SimpleNamespace(decode=lambda: body)
    assert metrics.event_type(message({"type": "report.submitted.v1"})) == "report.submitted.v1"
    assert metrics.event_type(message({"type": "x" * 500})) == "unknown"
    assert metrics.event_type(message(["not", "an", "event"])) == "unknown"
