"""Configuration: only environment variables, substituted into each service's YAML.

Each service has a ``config.yml`` written as ``KEY: ${ENV_VAR:default}``; nameko's
own loader does the substitution when a service is started with ``nameko run
--config``. Tests and scripts load the same files through :func:`load`.
"""
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parent.parent

setup_yaml_parser()


def load(service, **overrides):
    """The configuration of ``service`` as nameko would see it, with overrides."""
    path = ROOT / "services" / service / "config.yml"
    with open(path) as f:
        config = yaml.safe_load(f)
    config.update(overrides)
    return config


def retry_delays(config):
    """Backoff delays (ms) for a failing message: ``RETRY_DELAYS_MS: 1000,5000,30000``."""
    raw = str(config.get("RETRY_DELAYS_MS", "1000,5000,30000"))
    delays = [int(part) for part in raw.split(",") if part.strip()]
    if any(d <= 0 for d in delays):
        raise ValueError(f"RETRY_DELAYS_MS must be positive integers, got {raw!r}")
    return delays
