"""Every HTTP error as RFC 9457 problem details (`application/problem+json`), one definition.

`{"type", "title", "status", "detail", "instance"}` plus extension members where a surface
needs them: the submissions' `results` (each item's field-level `errors`, CONTRACT.md), FastAPI's
own validation as `errors` ([{loc, msg, type}]). `detail` is always a human sentence (the front
line's are Vietnamese), so clients that read `detail` keep working. `install(app)` puts the
handlers on an app once; `error_responses(...)` documents the errors of a route in OpenAPI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://popreg.vn/problems/"  # identifiers; docs/api.md explains each
log = logging.getLogger("popreg.http")

# A short, stable type per status (the `type` member); unknown statuses use about:blank.
TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: e.g. ['query', 'period'] or ['body', 0, 'payload', 'sex']")
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details; other members are extensions (e.g. `results`, `errors`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})
    type: str = Field(description="a URI naming the kind of problem")
    title: str = Field(description="the status' short phrase")
    status: int
    detail: str = Field(description="what went wrong and what to do, for a person")
    instance: str | None = Field(None, description="the path of the request")
    errors: list[FieldError] | None = Field(None, description="422: every invalid parameter or field")


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
    **extensions: Any,
) -> Response:
    """The one way popreg answers an error."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    name = kind or TYPES.get(status)
    body: dict[str, Any] = {
        "type": TYPE_BASE + name if name else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def _loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in (loc or [])]


def _sentence(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'] if p not in ('body',)) or 'body'}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


async def _http(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail
    extensions: dict[str, Any] = {}
    if isinstance(detail, Mapping):  # a route that put structure in detail: keep it as extensions
        extensions = {k: v for k, v in detail.items() if k != "detail"}
        detail = str(detail.get("detail") or HTTPStatus(exc.status_code).phrase)
    elif isinstance(detail, list):
        extensions["errors"] = detail
        detail = _sentence(detail) if all(isinstance(e, dict) and "loc" in e for e in detail) else str(detail)
    elif detail is None or detail == "":
        detail = HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route's methods; a path served by several routes
        # (GET and POST /v1/tokens) allows all of theirs.
        allowed = _methods_for(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}" + (
                f"; use {', '.join(allowed)}" if allowed else ""
            )
    return problem(exc.status_code, str(detail), instance=request.url.path, headers=headers, **extensions)


def _methods_for(request: Request) -> list[str]:
    """Every method the published document gives the request's path (routers may be nested)."""
    from starlette.routing import compile_path

    spec = request.app.openapi()
    methods: set[str] = set()
    for template, item in spec.get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(request.url.path):
            methods |= {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch", "head", "options")}
    return sorted(methods)


async def _validation(request: Request, exc: RequestValidationError) -> Response:
    errors = [{"loc": _loc(e.get("loc")), "msg": str(e.get("msg", "")), "type": e.get("type")} for e in exc.errors()]
    return problem(422, _sentence(errors), instance=request.url.path, errors=errors)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "the server failed on this request; it was logged", instance=request.url.path)


def install(app: FastAPI) -> None:
    """Every error of `app` (routes, auth, FastAPI's validation, unknown paths) as problem+json."""
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _crash)


_DESCRIPTIONS = {
    400: "the body cannot be read",
    401: "no valid bearer token",
    403: "outside the token's role or area",
    404: "no such record or area",
    409: "conflicts with the current state",
    413: "the body is too large",
    422: "a parameter or field is invalid (each one in `errors`)",
    503: "Kafka or PostgreSQL is briefly unavailable; retry after Retry-After seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for these error statuses, all as problem+json."""
    return {
        s: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(s, HTTPStatus(s).phrase),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }


def document(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers do, for every route (new ones included):
    each error is problem+json (FastAPI's HTTPValidationError replaced), and each operation lists
    the errors it can give: 422 where it takes input, 401/403 where it needs a token, 404 where
    the path names a record, 413 where it takes a body, 503 under /v1 (the stack can be away)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schemas["Problem"].pop("$defs", {}))
        ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for path, item in spec.get("paths", {}).items():
            for op in item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                wanted: set[int] = set()
                if op.get("parameters") or op.get("requestBody"):
                    wanted.add(422)
                if op.get("security"):
                    wanted |= {401, 403}
                if "{" in path:
                    wanted.add(404)
                if op.get("requestBody"):
                    wanted |= {400, 413}  # 400: a body that is not JSON
                if path.startswith("/v1/") or path.startswith("/ctv/api"):
                    wanted.add(503)
                responses = op["responses"]
                for code in wanted:
                    responses.setdefault(str(code), {"description": _DESCRIPTIONS.get(code, HTTPStatus(code).phrase)})
                for code, resp in responses.items():
                    if code.isdigit() and int(code) >= 400:
                        resp["content"] = {MEDIA_TYPE: ref}
                        if resp.get("description") in ("Validation Error", "", None):
                            resp["description"] = _DESCRIPTIONS.get(int(code), HTTPStatus(int(code)).phrase)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
