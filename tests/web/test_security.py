"""Exposure, the access token, CSRF and the headers that keep pages out of frames."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from shared import store
from shared.feedback_tokens import make_token
from tests.web.conftest import SECRET_KEY, WebServer, csrf_of, newswatch_command, web_env
from tests.web.world import seed

TOKEN = "desk-token-0c4f1e9a"


def test_exposed_host_without_token_refuses_to_start(pg_clean: str, config_file: Path) -> None:
    result = subprocess.run(
        [*newswatch_command(), "web", "--host", "0.0.0.0", "--port", "18099"],
        env=web_env(pg_clean, config_file), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "refusing to listen on 0.0.0.0" in lines[0] and "NEWSWATCH_WEB_TOKEN" in lines[0]


def test_token_is_required_on_every_page_but_healthz(
    web_factory: Callable[..., WebServer],
) -> None:
    server = web_factory(NEWSWATCH_WEB_TOKEN=TOKEN)
    world = seed(server.db_url)
    with server.client() as client:
        for page in ("/stories", "/topics", "/feeds", "/deliveries", "/metrics", "/stories/1"):
            response = client.get(page)
            assert response.status_code == 401, page
            assert response.headers["www-authenticate"].startswith("Basic")
        assert client.get("/stories?token=wrong").status_code == 401
        assert client.get("/healthz").status_code == 200
        signed = make_token(SECRET_KEY, world.articles["hit1"], "axis", now=store.utcnow(),
                            ttl=timedelta(days=1))
        assert client.get(f"/feedback/{signed}").status_code == 200  # the signature suffices
        assert client.get("/stories", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        basic = base64.b64encode(f"desk:{TOKEN}".encode()).decode()
        assert client.get("/feeds", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        assert client.get("/feeds", headers={"Authorization": "Bearer nope"}).status_code == 401

    with server.client() as browser:  # ?token= once: a cookie, and the token leaves the URL
        response = browser.get(f"/stories?band=all&token={TOKEN}")
        assert response.status_code == 303
        assert response.headers["location"] == "/stories?band=all"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert TOKEN not in cookie
        page = browser.get("/stories?band=all")
        assert page.status_code == 200 and TOKEN not in page.text


def test_post_without_csrf_is_refused(web: WebServer) -> None:
    world = seed(web.db_url)
    article = world.articles["hit1"]
    form = {"article_id": str(article), "topic_id": "axis", "label": "not-relevant"}
    with web.client() as client:
        assert client.post("/feedback", data=form).status_code == 403  # no cookie, no field
        page = client.get("/stories")  # sets the CSRF cookie
        token = csrf_of(page.text)
        assert client.post("/feedback", data={**form, "csrf": "x" * 43}).status_code == 403
        assert client.post(f"/deliveries/{world.deliveries['failed']}/retry").status_code == 403
        cross = client.post("/feedback", data={**form, "csrf": token},
                            headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403 and "cross-origin" in cross.text
        ok = client.post("/feedback", data={**form, "csrf": token},
                         headers={"Origin": web.url})
        assert ok.status_code == 303


def test_pages_carry_protective_headers(web: WebServer) -> None:
    with web.client() as client:
        response = client.get("/stories")
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"]
    assert "nw_csrf=" in cookie and "HttpOnly" in cookie


def test_without_a_token_only_localhost_names_are_answered(web: WebServer) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the desk."""
    with web.client() as client:
        assert client.get("/stories", headers={"Host": "evil.example:8080"}).status_code == 421
        assert client.get("/stories", headers={"Host": "localhost"}).status_code == 200
