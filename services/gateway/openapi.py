"""The OpenAPI 3.1 document of the gateway, built from its own routes and body schemas.

Each route's method and path come from its ``@http`` entrypoint, its body schema,
success status and query parameters from its ``@endpoint``: nothing is written twice,
so the document always says what the gateway does.
"""
import re

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from services.gateway.schemas import CODE, SCHEMAS

PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR = {"description": "refused: the body says why (stable code, message, details)",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
HEADERS = [
    {"name": "X-Actor", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 64},
     "description": "the person making the request (until accounts and tokens replace it)"},
    {"name": "X-Correlation-Id", "in": "header", "required": False,
     "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"}},
]
IDEMPOTENT = {"name": "Idempotency-Key", "in": "header", "required": False,
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
ACTIONS = {"action": {"enum": ["submit", "return", "review", "finalize"]}}


def _path(url):
    parameters = []
    for converter, name in PARAMETER.findall(url):
        schema = {"type": "integer", "minimum": 2000, "maximum": 2100} if converter == "int" \
            else ACTIONS.get(name, CODE)
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return PARAMETER.sub(r"{\2}", url), parameters


def _operation(name, handler, operation):
    parameters = list(HEADERS)
    for query in operation["query"]:
        parameters.append({"name": query, "in": "query", "required": False,
                           "schema": {"type": "string", "maxLength": 64}})
    if operation["body"] is not None or operation["upload"]:
        parameters.append(IDEMPOTENT)
    if operation["download"]:
        success = {"description": "the file", "content": {"application/octet-stream": {"schema": {}}}}
    else:
        success = {"description": "done", "content": {"application/json": {"schema": {"type": ["object", "array"]}}}}
    spec = {"operationId": name, "summary": operation["summary"].split("\n")[0],
            "parameters": parameters,
            "responses": {str(operation["status"]): success, "4XX": ERROR,
                          "503": {**ERROR, "description": "a service is down or slow; retry"}}}
    if operation["body"] is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{operation['body']}"}}}}
    if operation["upload"]:
        spec["requestBody"] = {"required": True, "content": {
            kind: {"schema": {}} for kind in ("application/pdf", "image/png", "image/jpeg")}}
    return spec


def document(service_class):
    paths = {}
    for name in sorted(dir(service_class)):
        handler = getattr(service_class, name)
        operation = getattr(handler, "operation", None)
        for entrypoint in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if operation is None or not isinstance(entrypoint, HttpRequestHandler):
                continue
            path, path_parameters = _path(entrypoint.url)
            spec = _operation(name, handler, operation)
            spec["parameters"] = path_parameters + spec["parameters"]
            paths.setdefault(path, {})[entrypoint.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "Thi đua API", "version": "1",
                 "description": "Emulation-movement platform of a provincial police force. "
                                "Errors: {error: {code, message, details, correlation_id}}."},
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }


def html(doc):
    """A plain, self-contained page listing every operation (no script, no external asset)."""
    from html import escape
    rows = []
    for path, methods in sorted(doc["paths"].items()):
        for method, spec in sorted(methods.items()):
            body = spec.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            schema = body.get("$ref", "").rsplit("/", 1)[-1]
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(spec['summary'])}</td><td>{escape(schema)}</td>"
                        f"<td>{escape(', '.join(r for r in spec['responses']))}</td></tr>")
    return ("<!doctype html><html lang='vi'><meta charset='utf-8'><title>Thi đua API</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .6em;border-bottom:1px solid #ccc;"
            "text-align:left}code{font-size:.95em}</style><h1>Thi đua API</h1>"
            "<p>The machine-readable contract: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a>. "
            "Request body shapes are under <code>components.schemas</code>.</p>"
            "<table><tr><th>method</th><th>path</th><th>what</th><th>body</th><th>answers</th></tr>"
            + "".join(rows) + "</table></html>")
