"""The OpenAPI 3.1 document of the gateway, built from its own routes and body schemas.

Each route's method, path, body schema, success status and query parameters come from
its ``@route``: nothing is written twice, so the document always says what the gateway does;
every operation needs a bearer token but those of signing in.
"""
import re
from html import escape

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.gateway.entrypoint import GatewayEntrypoint
from services.gateway.schemas import CODE, SCHEMAS

PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR = {"description": "refused: the body says why (stable code, message, details)",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
HEADERS = [
    {"name": "X-Actor", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 64},
     "description": "in demo mode only: the person making the request, instead of a token"},
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


def _operation(name, handler, route):
    parameters = list(HEADERS)
    for query, kind in route.query.items():
        parameters.append({"name": query, "in": "query", "required": bool(kind.missing), "schema": kind.schema})
    if route.body is not None or route.upload:
        parameters.append(IDEMPOTENT)
    if route.download:
        success = {"description": "the file", "content": {"application/octet-stream": {"schema": {}}}}
    else:
        success = {"description": "done", "content": {"application/json": {"schema": {"type": ["object", "array"]}}}}
    summary = (handler.__doc__ or name.replace("_", " ")).strip()
    spec = {"operationId": name, "summary": summary.split("\n")[0],
            "parameters": parameters,
            "responses": {str(route.status): success, "4XX": ERROR,
                          "503": {**ERROR, "description": "a service is down or slow; retry"}}}
    if route.public:
        spec["security"] = []   # signing in needs no token; every other operation does
    if route.body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{route.body}"}}}}
    if route.upload:
        spec["requestBody"] = {"required": True, "content": {
            kind: {"schema": {}} for kind in ("application/pdf", "image/png", "image/jpeg")}}
    return spec


def document(service_class):
    paths = {}
    for name in sorted(dir(service_class)):
        handler = getattr(service_class, name)
        for route in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if not isinstance(route, GatewayEntrypoint) or not route.listed:
                continue
            path, path_parameters = _path(route.url)
            spec = _operation(name, handler, route)
            spec["parameters"] = path_parameters + spec["parameters"]
            paths.setdefault(path, {})[route.method.lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {"title": "Thi đua API", "version": "1",
                 "description": "Emulation-movement platform of a provincial police force. "
                                "Errors: {error: {code, message, details, correlation_id}}."},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "an access token from POST /api/v1/auth/login, or a machine client's API token"}}},
    }


_documents = {}


def of(service_class):
    """The document of ``service_class``, built once."""
    if service_class not in _documents:
        _documents[service_class] = document(service_class)
    return _documents[service_class]


def html(doc):
    """A plain, self-contained page listing every operation (no script, no external asset)."""
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
