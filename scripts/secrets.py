"""Write the secrets a deployment needs into ``.env`` (for ``docker compose``), once.

    python -m scripts.secrets            # or: make secrets
    python -m scripts.secrets --force    # replace an existing .env: every secret changes, so
                                         # sessions end; rotate the broker and database logins
                                         # as docs/security.md says before you restart

Every value is random (Python's ``secrets``), the file is readable by its owner only, and
``docker-compose.yml`` refuses to start without it: no service of a deployment ever runs on a
default secret or a default broker or database login.
"""
import argparse
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate():
    """Every secret of a deployment, fresh."""
    return {
        "TOKEN_SECRET": secrets.token_urlsafe(48),       # signs sign-in tokens
        "SERVICE_SECRET": secrets.token_urlsafe(48),     # signs what the bus carries: assertions, service tokens
        "SUBMISSIONS_EVENT_KEY": secrets.token_urlsafe(48),   # signs the events submissions publishes
        "RANKING_EVENT_KEY": secrets.token_urlsafe(48),       # signs the events ranking publishes
        "BALLOT_SEAL_KEY": secrets.token_urlsafe(48),         # seals secret ballots (gateway, submissions)
        "RABBIT_USER": "thidua-" + secrets.token_hex(4),
        "RABBIT_PASSWORD": secrets.token_urlsafe(32),
        "MONGO_USER": "thidua-" + secrets.token_hex(4),
        "MONGO_PASSWORD": secrets.token_urlsafe(32),
        "MONGO_REPLICA_KEY": secrets.token_hex(64),      # the replica set members' shared key (base64 set)
    }


def write(path, values, force=False):
    if path.exists() and not force:
        raise SystemExit(f"{path} exists; keep it, or replace every secret with --force")
    text = "# Secrets of this deployment, made by `python -m scripts.secrets`. Keep this file private.\n" + \
        "".join(f"{key}={value}\n" for key, value in values.items())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--file", default=str(ROOT / ".env"), help="where to write (default: .env)")
    args = parser.parse_args(argv)
    values = generate()
    write(Path(args.file), values, args.force)
    print(f"wrote {len(values)} secrets to {args.file} (mode 600); docker compose reads it from there")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
