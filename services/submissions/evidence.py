"""Evidence files a unit attaches to its report: which kinds, how large. Pure: no I/O."""
import hashlib

from thidua.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
# content type -> how its first bytes must look: the declared type has to match the content.
ALLOWED = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


def check(name, content_type, data):
    """The facts to store about an uploaded file, or :class:`ValidationFailed` saying what to fix."""
    problems = {}
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 255 or any(c in name for c in "/\\\x00"):
        problems["name"] = "a file name of 1 to 255 characters, without / or \\"
    if content_type not in ALLOWED:
        problems["content_type"] = f"one of {', '.join(sorted(ALLOWED))}"
    elif not data.startswith(ALLOWED[content_type]):
        problems["content"] = f"the file is not a {content_type} file"
    if not data:
        problems["content"] = "the file is empty"
    elif len(data) > MAX_BYTES:
        problems["content"] = f"at most {MAX_BYTES // (1024 * 1024)} MiB"
    if problems:
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        raise ValidationFailed(f"The evidence file cannot be stored: {listed}.", {"fields": problems})
    return {"name": name.strip(), "content_type": content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}
