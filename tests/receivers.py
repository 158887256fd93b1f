"""Real peers for the notification channels, each its own process on loopback.

    python -m tests.receivers webhook PORT SECRET OUT_FILE [STATUS]

The webhook receiver answers every POST with STATUS (default 200) and appends one JSON
line per request to OUT_FILE: the body and whether its signature checked out. The mail
server is aiosmtpd's own (``python -m aiosmtpd ... -c aiosmtpd.handlers.Mailbox DIR``).
"""
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Peer:
    """A receiver process the test can stop (an outage) and start again on the same port."""

    def __init__(self, command):
        self.command = command
        self.process = None

    def start(self, port):
        import socket
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.command[2:4]} did not start on port {port}")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def mail_server(port, maildir):
    return Peer([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                 "-c", "aiosmtpd.handlers.Mailbox", str(maildir)])


def webhook_server(port, secret, out, status=200):
    return Peer([sys.executable, "-m", "tests.receivers", "webhook", str(port), secret, str(out), str(status)])


def received_mail(maildir):
    import mailbox
    from email import policy
    from email.parser import BytesParser
    box = mailbox.Maildir(str(maildir), create=False) if Path(maildir, "new").exists() else []
    return [BytesParser(policy=policy.default).parsebytes(m.as_bytes()) for m in box]


def received_hooks(out):
    path = Path(out)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _serve_webhook(port, secret, out, status):
    from services.notifications.channels import SIGNATURE_HEADER, verify

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(out, "a") as f:
                f.write(json.dumps({"verified": verify(secret, body, self.headers.get(SIGNATURE_HEADER)),
                                    "body": json.loads(body)}, ensure_ascii=False) + "\n")
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__" and sys.argv[1] == "webhook":
    _serve_webhook(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 200)
