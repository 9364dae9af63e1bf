"""The REST API: accounts, quizzes and game lobbies, served by one Lambda function.

``handler`` adapts API Gateway HTTP API (payload 2.0) and REST API events to the ASGI app.
Every error body has one shape, ``{"error": {"code": ..., "message": ...}}``: a
``ClientError`` keeps its own status and code, invalid input is 400 ``invalid_input``, a
failing Redis or MySQL is 503 ``service_unavailable``, and any other exception is 500
``internal_error``. Every response, a 500 included, carries the CORS headers, so that a page
can read the error instead of seeing a network failure.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import redis
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from mangum import Mangum
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.auth import accounts, games, quizzes, reports
from functions.logs import entry_point, function_logger
from livequiz import metrics, tracing
from livequiz.config import get_settings
from livequiz.errors import ClientError, ServiceError
from livequiz.quizzes import error_location

logger = function_logger("auth")

# Failures of a backing service: the request was fine and a retry may succeed.
SERVICE_ERRORS = (ServiceError, redis.RedisError, sa.exc.OperationalError, sa.exc.InterfaceError)
HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Invalid input, with the field named in the message",
        401: "Missing, invalid or expired token",
        404: "Not found",
        409: "Conflicts with the current state",
        500: "An unexpected error of the server",
        503: "Redis or MySQL is unavailable; retry",
    }.items()
}


class LivequizAPI(FastAPI):
    """FastAPI with the CORS middleware outside Starlette's ServerErrorMiddleware.

    Starlette puts ServerErrorMiddleware outside every middleware added to the app, so the 500
    response it sends for an unhandled exception would lack the CORS headers, and the browser
    would hide it from the page as a network error.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SettingsCORSMiddleware(super().build_middleware_stack())


app = LivequizAPI(
    title="livequiz",
    summary="Accounts, quizzes and game lobbies of the livequiz real-time quiz platform",
    version="0.1.0",
    responses=ERROR_RESPONSES,
)
app.include_router(accounts.router)
app.include_router(quizzes.router)
app.include_router(games.router)
app.include_router(reports.router)


def error_response(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    content = {"error": {"code": code, "message": message}}
    return JSONResponse(status_code=status, content=content, headers=headers)


@app.exception_handler(ClientError)
async def client_error(request: Request, error: ClientError) -> JSONResponse:
    return error_response(error.status, error.code, error.message)


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    messages = []
    for detail in error.errors():
        location = list(detail.get("loc", ()))
        # Body fields drop the leading "body", but query and path parameters keep their prefix.
        if location[:1] == ["body"]:
            location = location[1:]
        message = str(detail.get("msg", "invalid value")).removeprefix("Value error, ")
        if detail.get("type") == "json_invalid":
            reason = detail.get("ctx", {}).get("error", message)
            messages.append(f"the request body is not valid JSON: {reason}")
            continue
        field = error_location(location) or "body"
        messages.append(f"{field}: {message}")
    return error_response(400, "invalid_input", "; ".join(messages))


@app.exception_handler(HTTPException)
async def http_error(request: Request, error: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail))


async def service_error(request: Request, error: Exception) -> JSONResponse:
    # No exception escapes to count_unhandled_errors, so the outage is counted here.
    metrics.count("function_errors_total", function="auth")
    logger.error(
        "%s %s failed, a backing service is unavailable: %r",
        request.method,
        request.url.path,
        error,
    )
    return error_response(
        503, "service_unavailable", "a backing service is unavailable: try again shortly"
    )


for error_type in SERVICE_ERRORS:
    app.add_exception_handler(error_type, service_error)


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    """Send the error envelope for an unhandled exception.

    Starlette's ServerErrorMiddleware calls this handler and then re-raises the exception, so
    the server still logs its traceback.
    """
    return error_response(
        500, "internal_error", "the server failed to handle the request: try again later"
    )


app.add_exception_handler(Exception, internal_error)


class SettingsCORSMiddleware:
    """Starlette's CORSMiddleware, allowing the origins of ``LIVEQUIZ_CORS_ORIGINS``.

    The origins are read per request, because the local runtime sets the variable to its
    web port after this module may have been imported.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._by_origins: dict[tuple[str, ...], CORSMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins = tuple(get_settings().cors_origin_list())
        middleware = self._by_origins.get(origins)
        if middleware is None:
            middleware = CORSMiddleware(
                self.app,
                allow_origins=origins,
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_headers=["authorization", "content-type"],
                # Report downloads name their file in Content-Disposition, and the page says
                # when to try again after a 429 from Retry-After.
                expose_headers=["content-disposition", "retry-after"],
                max_age=600,
            )
            self._by_origins[origins] = middleware
        await middleware(scope, receive, send)


@app.middleware("http")
async def count_unhandled_errors(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Count the exceptions that no exception handler turned into a response.

    Starlette returns a 500 response for them inside Mangum, so none escapes the Lambda handler.
    """
    try:
        return await call_next(request)
    except Exception:
        metrics.count("function_errors_total", function="auth")
        raise


# Added last, so it is the outermost middleware of ours and its transaction spans the others.
# It traces the requests of the local REST server as well as those that Mangum passes on.
app.add_middleware(tracing.TracingMiddleware, function="auth")


@app.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """Report that the function runs; Redis and MySQL are not contacted."""
    return {"status": "ok"}


def openapi_schema() -> dict[str, Any]:
    """Build the OpenAPI document without FastAPI's 422 responses, which this API never sends."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema


app.openapi = openapi_schema  # type: ignore[method-assign]

# TracingMiddleware traces the requests, so the entry point opens no transaction of its own.
handler = entry_point("auth", logger, trace=False)(Mangum(app, lifespan="off"))
