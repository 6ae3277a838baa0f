"""The OpenAPI document tells the truth about errors (issue 18: the API fuzz in tests/test_fuzz.py).

FastAPI documents a 422 as `{"detail": [{"loc", "msg", "type"}]}`; this app answers every error
in the learner's language instead (app/web.py): `{"detail": "…", "code": "…"}` under /api, an
HTML page or fragment elsewhere. So every operation documents its client errors ("4XX") with
that body, and a method a path does not take is answered 405 with every method it does take.

    app.openapi = documented_errors(app)       # in create_app()
    allowed_methods(app, "/api/jobs")          # → ["GET", "POST"]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ERROR_BODY = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "what went wrong and what to do, in the learner's language"},
        "code": {"type": "string", "description": "a stable key, e.g. jobs.too_many or invalid"},
    },
}
HTML_ERROR = {"text/html": {"schema": {"type": "string"}}}
JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
CLIENT_ERRORS = "Refused: invalid input (422), not found (404), not allowed (403), too large (413), too many (429) …"


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """The errors of every operation, as the app sends them (modifies `schema` and returns it)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ERROR_BODY
    for path, item in schema.get("paths", {}).items():
        body = JSON_ERROR if path.startswith("/api/") else HTML_ERROR
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = body
            responses.setdefault("4XX", {"description": CLIENT_ERRORS, "content": body})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    schema["x-errors-documented"] = True
    return schema


def documented_errors(app) -> Callable[[], dict[str, Any]]:
    """A replacement for app.openapi (FastAPI regenerates its schema when routes change)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        return schema if schema.get("x-errors-documented") else document_errors(schema)

    return openapi


def _pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def allowed_methods(app, path: str) -> list[str]:
    """The methods the OpenAPI documents for a request path ([] for a path it does not describe)."""
    schema = app.openapi()
    methods: set[str] = set()
    for template, item in schema.get("paths", {}).items():
        if _pattern(template).match(path):
            methods |= {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch", "head", "options")}
    return sorted(methods)
