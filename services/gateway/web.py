"""The web pages: one page shell and its scripts and styles, all served by the gateway.

Every file is read once, when the gateway starts, from ``services/gateway/web/``; a
request names a file of that fixed table or gets 404, so no path can reach anything
else on disk. Nothing is loaded from another host: the pages work on a closed network.
"""
import hashlib
import mimetypes
from pathlib import Path

ROOT = Path(__file__).with_name("web")
PAGES = ("dang-nhap", "bao-cao", "xet-duyet", "bieu-quyet", "dieu-hanh", "hop-cum", "de-nghi-khen-thuong")
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _load(root):
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files[path.relative_to(root).as_posix()] = (data, kind, hashlib.sha256(data).hexdigest()[:20])
    return files


FILES = _load(ROOT)


def asset(name):
    """(bytes, media type, etag) of a file of the table, or None."""
    return FILES.get(name)
