"""The desk's web view: a Starlette app over the same database the services write.

GET pages are plain (sync) endpoints run in Starlette's thread pool, each reading through
the process context's engine; POSTs (feedback, retry) pass the CSRF check first.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from services.web import feedback_view, pages_ops, pages_stories
from services.web.metrics import make_registry, metrics_endpoint
from services.web.rendering import STATIC_DIR, make_templates, render
from services.web.security import AccessMiddleware
from services.web.state import WebState, state_of
from shared.context import AppContext
from shared.db import ping

log = logging.getLogger(__name__)


def healthz(request: Request) -> Response:
    """200 'ok' while the database answers, 503 otherwise (what probes and compose check)."""
    try:
        with state_of(request).ctx.engine.connect() as conn:
            ping(conn)
    except SQLAlchemyError:
        return PlainTextResponse("database unreachable", status_code=503)
    return PlainTextResponse("ok")


def home(_request: Request) -> Response:
    return RedirectResponse("/stories", status_code=307)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/healthz", "/metrics")):
        return PlainTextResponse(exc.detail, status_code=exc.status_code)
    return render(request, "error.html", {"title": f"Error {exc.status_code}",
                                          "status": exc.status_code, "detail": exc.detail},
                  status_code=exc.status_code)


async def database_error(request: Request, exc: Exception) -> Response:
    """A database outage mid-request: a 503 that says so, not a stack trace."""
    log.warning("web: database error on %s: %s", request.url.path, exc)
    detail = "the database is unreachable right now; try again in a moment"
    if request.url.path.startswith(("/healthz", "/metrics")):
        return PlainTextResponse(detail, status_code=503)
    return render(request, "error.html", {"title": "Error 503", "status": 503, "detail": detail},
                  status_code=503)


ROUTES = [
    Route("/", home),
    Route("/healthz", healthz),
    Route("/metrics", metrics_endpoint),
    Route("/stories", pages_stories.stories_page),
    Route("/stories/{story_id:int}", pages_stories.story_page),
    Route("/stories/{story_id:int}/feedback", feedback_view.story_feedback, methods=["POST"]),
    Route("/feedback", feedback_view.article_feedback, methods=["POST"]),
    Route("/feedback/{token}", feedback_view.link_page, methods=["GET"]),
    Route("/feedback/{token}", feedback_view.link_submit, methods=["POST"]),
    Route("/topics", pages_ops.topics_page),
    Route("/feeds", pages_ops.feeds_page),
    Route("/deliveries", pages_ops.deliveries_page),
    Route("/deliveries/{delivery_id:int}/retry", pages_ops.retry_delivery, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]


def create_app(ctx: AppContext) -> Starlette:
    """The app for this context; the access token comes from NEWSWATCH_WEB_TOKEN."""
    token = ctx.settings.web_token.get_secret_value() if ctx.settings.web_token else None
    app = Starlette(routes=ROUTES, middleware=[Middleware(AccessMiddleware, token=token)],
                    exception_handlers={HTTPException: http_error,
                                        SQLAlchemyError: database_error})
    app.state.web = WebState.build(ctx)
    app.state.templates = make_templates()
    app.state.metrics = make_registry(ctx)
    return app
