"""Create the first administrator (or reset an administrator's password).

    .venv/bin/python -m scripts.create_admin --id admin --name "Quản trị hệ thống"
    (asks for the password twice; or set THIDUA_ADMIN_PASSWORD for unattended set-up)

Runs against the submissions service over RPC (``AMQP_URI``), as the system: every
change is in the audit trail like any other.
"""
import argparse
import getpass
import os
import sys

from nameko.standalone.rpc import ClusterRpcProxy

ACTOR = {"id": "system:create-admin"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.create_admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--id", required=True, help="the administrator's person id, e.g. admin")
    parser.add_argument("--name", required=True)
    parser.add_argument("--email", default=None)
    args = parser.parse_args(argv)
    password = os.environ.get("THIDUA_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password (10 characters or more): ")
        if password != getpass.getpass("Again: "):
            print("The two passwords differ; nothing was changed.", file=sys.stderr)
            return 1
    config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
    with ClusterRpcProxy(config, timeout=30, context_data={"caller": ACTOR}) as cluster:
        person = {"id": args.id, "name": args.name, "role": "administrator", "email": args.email}
        cluster.submissions.load_reference_data({"people": [person]})
        cluster.submissions.set_password(args.id, password)
    print(f"administrator {args.id} is ready; sign in with POST /api/v1/auth/login")
    return 0


if __name__ == "__main__":
    sys.exit(main())
