"""Container health check of a nameko service: answers its ``ping`` RPC in time.

    python -m thidua.healthcheck submissions     # exit 0 if healthy, 1 otherwise
"""
import os
import sys


def main(argv):
    import eventlet
    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy

    service = argv[0]
    config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    try:
        with ClusterRpcProxy(config, timeout=5) as cluster:
            getattr(cluster, service).ping()
    except Exception as exc:  # any failure means unhealthy; say why
        print(f"{service} is unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
