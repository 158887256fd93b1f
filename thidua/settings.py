"""Settings: every tunable value of the platform, typed, with its variable and its default written once.

A setting is read from the service's nameko configuration when it has the key (tests and
operators' tools pass values there), else from the environment variable of the same name,
else the default below. ``services/<name>/config.yml`` keeps only what nameko and the
connections read themselves (broker, database, listening address, workers, logging).
A value that cannot be read stops the service at start, naming the variable.
"""
import json
import logging
import os
import time
from dataclasses import dataclass, field, fields

from nameko.extensions import DependencyProvider

from thidua.correlation import CorrelationFilter

DEFAULT_SECRET = "development-only-secret-change-me"
DEFAULT_SERVICE_SECRET = "development-only-service-secret-change-me"


def setting(variable, default):
    return field(default=default, metadata={"variable": variable})


def _numbers(kind):
    def read(raw):
        values = tuple(kind(part) for part in str(raw).split(",") if part.strip())
        if any(v <= 0 for v in values):
            raise ValueError("must be positive")
        return values
    return read


def _flag(raw):
    word = str(raw).strip().lower()
    if word not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError("must be true or false")
    return word in ("true", "1", "yes")


def _words(raw):
    return tuple(part.strip() for part in str(raw).split(",") if part.strip())


READERS = {int: int, float: float, str: str, bool: _flag, "ints": _numbers(int), "words": _words}


def given(config, variable):
    """The value the configuration, else the environment, gives ``variable``; ``None`` if neither."""
    for raw in (config.get(variable), os.environ.get(variable)):
        if raw is not None and raw != "":
            return raw
    return None


class Group:
    """A dataclass of settings; each field names its variable in its metadata."""

    @classmethod
    def of(cls, config):
        values = {}
        for item in fields(cls):
            variable = item.metadata["variable"]
            raw = given(config, variable)
            if raw is None:
                continue
            reader = READERS[item.metadata.get("reader", item.type)]
            try:
                values[item.name] = reader(raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{variable} cannot be {raw!r}: {exc}") from None
        return cls(**values)

    @classmethod
    def variables(cls):
        return {item.metadata["variable"]: item.default for item in fields(cls)}


def listed(variable, default, reader):
    return field(default=default, metadata={"variable": variable, "reader": reader})


@dataclass(frozen=True)
class Security(Group):
    env: str = setting("THIDUA_ENV", "development")
    demo_mode: bool = setting("DEMO_MODE", False)
    demo_allow_remote: bool = setting("DEMO_ALLOW_REMOTE", False)
    token_secret: str = setting("TOKEN_SECRET", DEFAULT_SECRET)   # demo mode only: see thidua.security
    # Signs what travels on the bus (thidua.tokens: assertions, service tokens); services and operators only.
    service_secret: str = setting("SERVICE_SECRET", DEFAULT_SERVICE_SECRET)   # demo mode only, as above
    access_token_seconds: int = setting("ACCESS_TOKEN_SECONDS", 900)
    refresh_token_seconds: int = setting("REFRESH_TOKEN_SECONDS", 43200)


@dataclass(frozen=True)
class Signing(Group):
    """The producers' event keys (thidua.signing): a producer signs with its own, consumers check
    with the producers'. No default: without them events can be neither sent nor believed."""
    submissions_event_key: str = setting("SUBMISSIONS_EVENT_KEY", "")
    ranking_event_key: str = setting("RANKING_EVENT_KEY", "")

    def keys(self):
        return {source: key for source, key in (("submissions", self.submissions_event_key),
                                                 ("ranking", self.ranking_event_key)) if key}


@dataclass(frozen=True)
class Ballots(Group):
    """Secret ballots (docs/security.md, "Secret ballots"). The sealing key is held by the gateway and the
    submissions service, never by the database: ballots cross the bus and rest in the ballot box
    sealed with it. A vote with fewer ballots than ``minimum`` publishes only totals per class."""
    seal_key: str = setting("BALLOT_SEAL_KEY", "")
    minimum: int = setting("BALLOT_MINIMUM", 3)

    def key(self):
        if not self.seal_key:
            raise RuntimeError("BALLOT_SEAL_KEY is not set; generate one with `python -m scripts.secrets`")
        return self.seal_key


@dataclass(frozen=True)
class Gateway(Group):
    login_attempts_per_minute: int = setting("LOGIN_ATTEMPTS_PER_MINUTE", 10)
    cors_origins: tuple = listed("CORS_ORIGINS", (), "words")
    # One deadline per HTTP request: the wait for a worker, the publish and the reply of every call.
    deadline_seconds: float = setting("GATEWAY_DEADLINE_SECONDS", 10.0)
    # How long of that deadline a request may wait in line for a worker before a full gateway
    # answers 503: a burst of clients a little larger than the workers is served, not turned away.
    admission_seconds: float = setting("GATEWAY_ADMISSION_SECONDS", 3.0)


@dataclass(frozen=True)
class Messaging(Group):
    retry_delays_ms: tuple = listed("RETRY_DELAYS_MS", (1000, 5000, 30000), "ints")
    outbox_sweep_seconds: float = setting("OUTBOX_SWEEP_SECONDS", 1.0)
    rpc_timeout_seconds: float = setting("RPC_TIMEOUT_SECONDS", 10.0)   # a service's call to another
    # quorum: replicated on a RabbitMQ cluster (thidua.messaging); classic keeps a vhost of an older version as it was
    queue_type: str = listed("QUEUE_TYPE", "quorum", "queue type")


@dataclass(frozen=True)
class Ranking(Group):
    # Tables one ranking replica recomputes at once. On a database that is the bottleneck, fewer
    # at once coalesce more reports into each recompute and leave it more room for the reports
    # themselves (README, Throughput); on one with cores to spare, more keep the ranking's
    # latency down in a burst.
    parallel: int = listed("RANKING_PARALLEL", 2, "count")


@dataclass(frozen=True)
class Delivery(Group):
    public_url: str = setting("PUBLIC_URL", "http://127.0.0.1:8080")
    smtp_host: str = setting("SMTP_HOST", "")
    smtp_port: int = setting("SMTP_PORT", 25)
    smtp_tls: str = setting("SMTP_TLS", "none")
    smtp_user: str = setting("SMTP_USER", "")
    smtp_password: str = setting("SMTP_PASSWORD", "")
    smtp_from: str = setting("SMTP_FROM", "thidua@localhost")
    smtp_timeout: float = setting("SMTP_TIMEOUT", 10.0)
    webhook_timeout: float = setting("WEBHOOK_TIMEOUT", 10.0)
    max_attempts: int = setting("DELIVERY_MAX_ATTEMPTS", 5)
    backoff_seconds: float = setting("DELIVERY_BACKOFF_SECONDS", 30.0)
    reminder_offsets_hours: tuple = listed("REMINDER_OFFSETS_HOURS", (72, 24), "ints")
    digest_interval_seconds: float = setting("DIGEST_INTERVAL_SECONDS", 3600.0)


def _count(raw):
    count = int(raw)
    if count < 1:
        raise ValueError("must be a whole number of at least 1")
    return count


def _port(raw):
    port = int(raw)
    if not 0 <= port <= 65535:
        raise ValueError("must be a port number from 0 (off) to 65535")
    return port


def _one_of(*choices):
    def read(raw):
        word = str(raw).strip().lower()
        if word not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return word
    return read


LOG_FORMATS = ("text", "json")
READERS.update({"log format": _one_of(*LOG_FORMATS), "queue type": _one_of("quorum", "classic"), "port": _port,
                "count": _count})


@dataclass(frozen=True)
class Logging(Group):
    """What a service tells its operators: its log lines and its Prometheus metrics (thidua.metrics)."""
    level: str = setting("LOG_LEVEL", "INFO")
    format: str = listed("LOG_FORMAT", "text", "log format")   # json: one object a line, for a log system
    metrics_port: int = listed("METRICS_PORT", 0, "port")   # 0: no metrics served (the image sets 9102)


TEXT_FORMAT = "%(asctime)s %(levelname)s {service} [%(correlation_id)s] %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, service, logger, message, and the
    correlation id, event id and caller where known (``CorrelationFilter``), the traceback if any."""

    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        line = {"time": self.formatTime(record), "level": record.levelname, "service": self.service,
                "logger": record.name, "message": record.getMessage()}
        for key in ("correlation_id", "event_id", "caller"):
            value = getattr(record, key, None)
            if value not in (None, "-"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)

    def formatTime(self, record, datefmt=None):
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{seconds}.{int(record.msecs):03d}Z"


class OneLineRefusals(logging.Filter):
    """A request the rules refuse (a domain error, nameko's "expected" exception) is an answer,
    not a fault: one line in the log, without the traceback nameko attaches to it. (Thousands of
    refused calls once made a log of tracebacks; a real fault keeps its traceback.)"""

    def filter(self, record):
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected) error"):
            record.exc_info, record.exc_text = None, None
        return True


def log_handler(service):
    """The one log handler of every service, for its ``config.yml``:
    ``handlers: {console: {(): thidua.settings.log_handler, service: <name>}}``. It sets the
    root level from ``LOG_LEVEL`` (dictConfig builds handlers before it configures the root), and
    writes text lines, or JSON ones with ``LOG_FORMAT=json``."""
    handler = logging.StreamHandler()
    chosen = Logging.of({})
    handler.setFormatter(JsonFormatter(service) if chosen.format == "json"
                         else logging.Formatter(TEXT_FORMAT.format(service=service)))
    handler.addFilter(CorrelationFilter())
    handler.addFilter(OneLineRefusals())
    logging.getLogger().setLevel(chosen.level.upper())
    return handler


@dataclass(frozen=True)
class Settings:
    security: Security
    signing: Signing
    gateway: Gateway
    messaging: Messaging
    ranking: Ranking
    delivery: Delivery
    ballots: Ballots
    logging: Logging

    GROUPS = (Security, Signing, Gateway, Messaging, Ranking, Delivery, Ballots, Logging)

    @classmethod
    def of(cls, config):
        return cls(*(group.of(config) for group in cls.GROUPS))


def variables():
    """Every variable read here, with its default (the README's table lists them all)."""
    return {name: default for group in Settings.GROUPS for name, default in group.variables().items()}


class SettingsProvider(DependencyProvider):
    """``settings = SettingsProvider()``: the service's :class:`Settings`, read once at start,
    so a value that cannot be read stops the service before it takes any request."""

    def setup(self):
        self.settings = Settings.of(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
