"""Who may see the desk, and which POSTs are genuine.

Access: with a token configured every page needs it (``Authorization: Bearer``, basic auth with
the token as password, or ``?token=`` once, which trades it for an HttpOnly SameSite=Strict
cookie and redirects it out of the address bar). ``/healthz`` stays open for probes and
``/feedback/<signed token>`` because its signature authorises that one action.

CSRF: double submit. Every response carries a random HttpOnly cookie, every form a hidden
copy rendered by the server; a POST passes only when both match (``hmac.compare_digest``) and
its Origin/Referer, when sent, names this host.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp

CSRF_COOKIE = "nw_csrf"
CSRF_FIELD = "csrf"
SESSION_COOKIE = "nw_session"
PUBLIC_PREFIXES = ("/healthz", "/feedback/", "/static/")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and 'localhost' stay on this machine; anything else is exposed."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the cookie never carries it."""
    return hmac.new(token.encode(), b"newswatch-web-session", hashlib.sha256).hexdigest()


def _matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _credential(request: Request, token: str) -> str | None:
    """'header' or 'cookie' when the request carries the token, 'query' for ?token=, else None."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and _matches(value.strip(), token):
        return "header"
    if scheme.lower() == "basic":
        try:
            _user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            password = ""
        if password and _matches(password, token):
            return "header"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and _matches(cookie, session_value(token)):
        return "cookie"
    query = request.query_params.get("token")
    if query and _matches(query, token):
        return "query"
    return None


def _unauthorised() -> Response:
    return HTMLResponse(
        "<!doctype html><title>newswatch: token required</title><h1>Token required</h1>"
        "<p>This newswatch web view needs its access token: open it once as "
        "<code>/stories?token=…</code>, or send <code>Authorization: Bearer …</code>.</p>",
        status_code=401, headers={"WWW-Authenticate": 'Basic realm="newswatch"'},
    )


class AccessMiddleware(BaseHTTPMiddleware):
    """Token check, the CSRF cookie, and headers that keep pages out of frames and caches."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        super().__init__(app)
        self.token = token or None

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not self.token and not is_loopback(_host_name(request)):
            # Tokenless means loopback-only; a foreign Host is DNS rebinding or a proxy.
            return _secured(HTMLResponse(
                "<!doctype html><title>newswatch</title><p>Without NEWSWATCH_WEB_TOKEN this web "
                "view answers only to localhost addresses.</p>", status_code=421))
        if self.token and not request.url.path.startswith(PUBLIC_PREFIXES):
            how = _credential(request, self.token)
            if how is None:
                return _secured(_unauthorised())
            if how == "query":
                return _secured(self._trade_query_token(request))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        fresh = None if len(cookie) >= 32 else secrets.token_urlsafe(32)
        request.state.csrf = fresh or cookie
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https", path="/")
        return _secured(response)

    def _trade_query_token(self, request: Request) -> Response:
        """``?token=`` once: set the session cookie and drop the token from the address."""
        assert self.token is not None
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, session_value(self.token), httponly=True,
                            samesite="strict", secure=request.url.scheme == "https", path="/")
        return response


def _host_name(request: Request) -> str:
    """The Host header without its port ('[::1]:8080' -> '::1')."""
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _secured(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _same_origin(request: Request) -> bool:
    """Origin (or else Referer), when the browser sends one, must name this host."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    return referer is None or urlsplit(referer).netloc == host


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once it passed the CSRF checks; 403 otherwise."""
    form = await request.form()
    if not _same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not _matches(sent, cookie):
        raise HTTPException(403, "missing or stale CSRF token: reload the page and try again")
    return form


def local_path(value: object, default: str) -> str:
    """A redirect target from a form: only a path on this site ('/x', never '//host')."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default
