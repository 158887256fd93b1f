"""Fill notifications' copy of the directory from submissions, once, for a database that ran
before the directory events existed (a fresh one fills itself from the events).

    python -m services.notifications.refill      # AMQP_URI as for the services
"""
import json

from nameko.standalone.rpc import ClusterRpcProxy

from thidua import config as thidua_config
from thidua.caller import CONTEXT_KEY


def main():
    settings = thidua_config.load("notifications")
    with ClusterRpcProxy(settings, timeout=60, context_data={CONTEXT_KEY: {"id": "system:refill"}}) as cluster:
        print(json.dumps(cluster.notifications.refill_directory()))


if __name__ == "__main__":
    main()
