"""👍/👎 from the pages and from the signed links in alerts, stored as ``newswatch feedback`` does.

A label is per (article, topic); a story's button labels every scored article of the story
for that topic. A signed link (shared.feedback_tokens) opens a confirmation page; only its
POST stores anything, so a mail scanner following the link changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from services.web.rendering import render
from services.web.security import checked_form, local_path
from services.web.state import WebState, state_of
from shared import store
from shared.feedback_tokens import FeedbackTarget, FeedbackTokenError, verify_token

LABELS = {"relevant": "👍 relevant", "not-relevant": "👎 not relevant"}
SOURCE_PAGE = "web"
SOURCE_LINK = "link"


def labels(conn: Connection, article_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    return store.feedback_labels(conn, article_ids)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise HTTPException(400, f"the form lacks {name!r}")
    return value


def _label(form: FormData) -> str:
    label = _field(form, "label")
    if label not in LABELS:
        raise HTTPException(400, f"label must be one of {', '.join(LABELS)}, got {label!r}")
    return label


def _topic(state: WebState, form: FormData) -> str:
    topic_id = _field(form, "topic_id")
    if state.topic(topic_id) is None:
        raise HTTPException(400, f"unknown topic {topic_id!r}")
    return topic_id


def _save(state: WebState, article_ids: Sequence[int], topic_id: str, label: str,
          source: str) -> int:
    now = store.utcnow()
    with state.ctx.engine.begin() as conn:
        for article_id in article_ids:
            if store.get_article(conn, article_id) is None:
                raise HTTPException(404, f"no article {article_id}")
            store.save_feedback(conn, article_id, topic_id, label, source, now)
    return len(article_ids)


async def article_feedback(request: Request) -> Response:
    """POST /feedback: one article, one topic."""
    state = state_of(request)
    form = await checked_form(request)
    try:
        article_id = int(_field(form, "article_id"))
    except ValueError:
        raise HTTPException(400, "article_id must be a number") from None
    topic_id, label = _topic(state, form), _label(form)
    await run_in_threadpool(_save, state, [article_id], topic_id, label, SOURCE_PAGE)
    return RedirectResponse(local_path(form.get("next"), "/stories"), status_code=303)


async def story_feedback(request: Request) -> Response:
    """POST /stories/{id}/feedback: the story's best-scoring article for the topic (the one
    alerted); labelling every member would count one decision once per syndicated copy."""
    state = state_of(request)
    form = await checked_form(request)
    story_id = int(request.path_params["story_id"])
    topic_id, label = _topic(state, form), _label(form)

    def representative() -> int | None:
        with state.ctx.engine.connect() as conn:
            return store.story_representative_id(conn, story_id, topic_id)

    article_id = await run_in_threadpool(representative)
    if article_id is None:
        raise HTTPException(404, f"story {story_id} has no article scored on {topic_id!r}")
    await run_in_threadpool(_save, state, [article_id], topic_id, label, SOURCE_PAGE)
    return RedirectResponse(local_path(form.get("next"), f"/stories/{story_id}"), status_code=303)


def _target(request: Request) -> FeedbackTarget:
    """The signed token's (article, topic), or a 400 saying plainly why not."""
    state = state_of(request)
    secret = state.ctx.settings.secret_key
    if secret is None or not secret.get_secret_value():
        raise HTTPException(400, "feedback links are not enabled here (NEWSWATCH_SECRET_KEY unset)")
    try:
        target = verify_token(secret.get_secret_value(), request.path_params["token"],
                              now=store.utcnow())
    except FeedbackTokenError as exc:
        raise HTTPException(400, f"this feedback link cannot be used: {exc}") from None
    if state.topic(target.topic_id) is None:
        raise HTTPException(400, f"this feedback link names an unknown topic {target.topic_id!r}")
    return target


def link_page(request: Request) -> HTMLResponse:
    """GET /feedback/{token}: what the link would label, and the button that does it."""
    target = _target(request)
    state = state_of(request)
    with state.ctx.engine.connect() as conn:
        article = store.get_article(conn, target.article_id)
        current = store.get_feedback(conn, target.article_id, target.topic_id)
    if article is None:
        raise HTTPException(400, "this feedback link names an article that no longer exists")
    wanted = request.query_params.get("label", "")
    return render(request, "feedback_link.html", {
        "title": "Feedback", "article": article, "topic": state.topic(target.topic_id),
        "wanted": wanted if wanted in LABELS else "", "labels": LABELS,
        "current": current.label if current else None, "saved": False,
    })


async def link_submit(request: Request) -> HTMLResponse:
    """POST /feedback/{token}: store the reader's verdict (the signature authorises it)."""
    form = await checked_form(request)
    target = await run_in_threadpool(_target, request)
    state = state_of(request)
    label = _label(form)
    await run_in_threadpool(_save, state, [target.article_id], target.topic_id, label,
                            SOURCE_LINK)

    def article() -> object:
        with state.ctx.engine.connect() as conn:
            return store.get_article(conn, target.article_id)

    return render(request, "feedback_link.html", {
        "title": "Feedback saved", "article": await run_in_threadpool(article),
        "topic": state.topic(target.topic_id), "wanted": label, "labels": LABELS,
        "current": label, "saved": True,
    })
