"""The OpenAPI document says every status each route can answer.

FastAPI documents what a route declares; the answers that come from shared
machinery (the bearer check, the body limit, validation, the error handler)
are added here, once, by rule, so the schema and the behaviour cannot drift.
"""

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
NOT_CONFIGURED = "not configured"
# Routes whose optional part (payments, the bot) may be switched off: 503 says so.
OPTIONAL_PARTS = {
    "/api/payments/": "payment gateway not configured",
    "/api/payments/{payment_id}/": None,
    "/api/payments/webhook/": "payment gateway not configured",
    "/api/telegram/link/": "telegram bot not configured",
}
# Answers that depend on state rather than on the request's shape.
EXTRA: dict[tuple[str, str], dict[int, str]] = {
    ("post", "/api/auth/signup/"): {
        409: "Username or e-mail already registered",
        429: "Too many password hashes at once; retry after Retry-After seconds",
    },
    ("post", "/api/auth/login/"): {
        429: "Locked out (5 failures per account, 20 per address in 15 minutes)",
    },
    ("post", "/api/documents/upload/"): {404: "No such expense of yours (expense_id)"},
    ("post", "/api/auth/reset-password/confirm/"): {
        429: "Too many password hashes at once; retry after Retry-After seconds",
    },
    ("patch", "/api/auth/me/"): {
        409: "E-mail already registered",
        429: "Too many password checks at once; retry after Retry-After seconds",
    },
}
NO_CONTENT = {("post", "/api/auth/reset-password/")}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared answers to every operation of an OpenAPI document (in place)."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            # Routes may declare int keys; JSON has only strings, so merge on strings.
            responses: dict[str, Any] = {str(k): v for k, v in operation["responses"].items()}
            operation["responses"] = responses

            def add(status: int, answer: dict[str, Any], responses: dict[str, Any] = responses):
                responses.setdefault(str(status), answer)

            parameters = operation.get("parameters", [])
            if operation.get("security"):
                add(401, _error("Missing, unknown or revoked bearer token"))
            if "requestBody" in operation:
                add(400, _error("The body cannot be parsed (not JSON, or a broken form)"))
                add(413, _error("Body larger than the limit (1 MiB for JSON)"))
            if "requestBody" in operation or parameters:
                add(422, responses.get("422") or _error("Invalid input"))
            if any(p.get("in") == "path" for p in parameters):
                add(404, _error("No such object of yours"))
            for status, description in EXTRA.get((method, path), {}).items():
                add(status, _error(description))
            if path in OPTIONAL_PARTS:
                part = OPTIONAL_PARTS[path]
                text = f"{part}, or the database is unavailable" if part else None
                responses["503"] = _error(text or "Database unavailable")
            elif path not in ("/healthz",):
                add(503, _error("Database unavailable"))
            if (method, path) in NO_CONTENT:
                for answer in responses.values():
                    if answer.get("content", {}).get("application/json", {}).get("schema") == {}:
                        answer.pop("content")
            for code, answer in responses.items():
                # Every error answer has a body; say what it looks like.
                if code.startswith(("4", "5")) and "content" not in answer:
                    answer["content"] = {"application/json": {"schema": ERROR_SCHEMA}}
    return schema


def install_openapi(app: FastAPI) -> None:
    """app.openapi() answers the completed document (FastAPI rebuilds it when routes change)."""
    original = app.openapi
    completed: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = original()
        if id(schema) not in completed:
            complete(schema)
            completed[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
