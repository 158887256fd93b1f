"""Load the demo reference data (the seed's Cluster No. 1, Q1/2021) through the submissions service.

    python -m scripts.demo       # uses AMQP_URI; idempotent
"""
import json
import os
import sys
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

DATA = Path(__file__).resolve().parent / "demo_data.json"
ACTOR = {"id": "system:demo-loader"}


def data():
    content = json.loads(DATA.read_text(encoding="utf-8"))
    content.pop("_about")
    return content


def load(amqp_uri=None):
    config = {"AMQP_URI": amqp_uri or os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    with ClusterRpcProxy(config, timeout=30) as cluster:
        return cluster.submissions.load_reference_data(data(), ACTOR)


if __name__ == "__main__":
    print(load())
    sys.exit(0)
