"""The HTTP gateway: `POST /v1/submissions` (CONTRACT.md) as a FastAPI router, and a test app.

Status codes, decided here and documented in docs/gateway.md:
- 200 with one result per item whenever at least one item is inside the token's scope (items
  outside it are `invalid` with a `forbidden: …` error on `commune`);
- 403 when the role may not submit (analyst), or when every item of the batch lies outside the
  token's scope (the body still carries the per-item results);
- 401 without a valid bearer token (checked before the body is read);
- 413 over `settings.max_body_bytes`, from Content-Length before reading, or while streaming;
- 400 when the body cannot be split into items (a broken JSON array);
- 503 when Kafka or PostgreSQL did not take the batch (nothing accepted; resend it).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel

from infra import problems
from infra.problems import error_responses, problem
from infra.settings import Settings, get_settings
from infra.tokens import Principal, TokenStore, require_principal
from producers.bodies import BadBody, parse_body
from producers.ingest import IngestService, Unavailable
from producers.runtime import open_ingest

router = APIRouter(tags=["submissions"])


class ErrorOut(BaseModel):
    loc: str
    msg: str


class ResultOut(BaseModel):
    event_id: str | None
    status: str  # accepted | duplicate | invalid
    errors: list[ErrorOut]


class SubmissionsOut(BaseModel):
    results: list[ResultOut]
    detail: str | None = None


class TooLarge(Exception):
    pass


# The body as published: a batch (a JSON array) or one envelope, or NDJSON. Each item is checked
# field by field and answered in `results` (status invalid, with its errors) inside a 200, so the
# rest of the batch is never lost: the item schema here is deliberately open; the envelope's own
# schema is schemas/v1/submission.json (`popreg schemas generate`).
_ITEM = {
    "description": "a submission envelope (EVENTS.md; JSON Schema: schemas/v1/submission.json); an item of "
    "any other shape is answered `invalid` with its errors, in the 200"
}
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of submission envelopes (EVENTS.md) or one envelope, or NDJSON: one per line. "
        "An empty body is refused (422).",
        "content": {
            "application/json": {"schema": {"anyOf": [{"type": "array", "items": _ITEM}, _ITEM]}},
            "application/x-ndjson": {"schema": {"type": "string", "minLength": 1}},
        },
    }
}


def _json(status: int, content: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json", headers=headers)


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing it as soon as it passes `limit` bytes (never buffering more)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/v1/submissions",
    response_model=SubmissionsOut,
    summary="Submit a batch of events (JSON array or NDJSON)",
    openapi_extra=_BODY_DOC,
    responses=error_responses(400, 401, 403, 413, 422, 503),
)
async def post_submissions(request: Request, principal: Principal = Depends(require_principal)) -> Response:
    service: IngestService = request.app.state.ingest
    limit: int = request.app.state.max_body_bytes
    where = request.url.path
    if not principal.may_submit:
        return problem(403, f"role {principal.role} may read but not submit", instance=where, results=[])
    try:
        body = await read_limited(request, limit)
    except TooLarge:
        # Connection: close, so the server does not read the rest of a body we refused.
        return problem(
            413,
            f"body over the limit of {limit} bytes; split the batch",
            instance=where,
            headers={"Connection": "close"},
        )
    if not body.strip():
        return problem(
            422,
            "the body is empty: send a JSON array of envelopes, or NDJSON (one per line)",
            instance=where,
            results=[],
            errors=[{"loc": ["body"], "msg": "empty body", "type": "missing"}],
        )
    try:
        items = parse_body(body, request.headers.get("content-type"))
    except BadBody as exc:
        return problem(400, str(exc), instance=where, results=[])
    try:
        results = await service.ingest(items, principal)
    except Unavailable as exc:
        return problem(503, str(exc), instance=where, headers={"Retry-After": "5"})
    payload: dict[str, Any] = {"results": [r.as_dict() for r in results]}
    if results and all(r.forbidden for r in results):
        # Each item's field-level errors stay in `results`, an extension member of the problem.
        return problem(403, f"every item lies outside this token's area {principal.area}", instance=where, **payload)
    return _json(200, payload)


def install(app: FastAPI, service: IngestService, settings: Settings) -> None:
    """Put what the router and the token dependency need on app.state (the integrator's hook)."""
    app.state.ingest = service
    app.state.tokens = TokenStore(service.pool)
    app.state.max_body_bytes = settings.max_body_bytes


def build_gateway_app(settings: Settings) -> FastAPI:
    """A FastAPI app serving only the gateway; its lifespan opens and closes pool and publisher."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_ingest(settings) as service:
            install(app, service, settings)
            yield

    app = FastAPI(title="popreg gateway", lifespan=lifespan)
    app.include_router(router)
    problems.install(app)
    problems.document(app)
    return app


def create_app() -> FastAPI:
    """Factory for `uvicorn --factory producers.gateway:create_app` (settings from POPREG_*)."""
    return build_gateway_app(get_settings())
