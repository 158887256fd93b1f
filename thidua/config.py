"""Configuration files: each service's ``config.yml``, as nameko loads it.

A ``config.yml`` holds nameko's own keys and the connections, written as
``KEY: ${ENV_VAR:default}``; nameko's loader substitutes the environment when a service is
started with ``nameko run --config``. Every other setting is typed in :mod:`thidua.settings`.
Tests and scripts load the same files through :func:`load`.
"""
from pathlib import Path

import yaml
from nameko.cli.main import setup_yaml_parser

from thidua.settings import Messaging

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
    return list(Messaging.of(config).retry_delays_ms)
