"""The Jinja environment: autoescape on for every template, and the filters pages share.

Feed text (titles, outlets, errors) and explanation text reach the page only through
autoescaped expressions; no template marks anything ``|safe``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def utc_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(value: datetime | None, now: datetime | None = None) -> str:
    """'5m ago', '3h ago', '2d ago' (or 'in 4m' for a future poll)."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    suffix = "ago" if seconds >= 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            amount = f"{int(seconds // size)}{unit}"
            return f"{amount} {suffix}" if suffix else f"in {amount}"
    return "just now" if suffix else "in <1m"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def http_url(value: str | None) -> str | None:
    """Only http(s) links become hrefs: a feed cannot smuggle in ``javascript:``."""
    if not value:
        return None
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True,
                                     default_for_string=True),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(utc=utc_time, age=age, score=score, http_url=http_url)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200
           ) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    values = {"csrf": getattr(request.state, "csrf", ""), "path": request.url.path, **context}
    response: HTMLResponse = templates.TemplateResponse(request, name, values,
                                                        status_code=status_code)
    return response
