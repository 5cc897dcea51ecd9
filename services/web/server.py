"""Serving the web view with uvicorn, refusing to expose it without a token."""

from __future__ import annotations

import logging

from services.web.security import is_loopback
from shared.context import AppContext
from shared.exceptions import ConfigError

log = logging.getLogger(__name__)


def check_exposure(host: str, token: str | None) -> None:
    """A non-loopback address needs NEWSWATCH_WEB_TOKEN: the pages show the whole desk."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to listen on {host}: set NEWSWATCH_WEB_TOKEN to expose the web view "
            "beyond this machine (or bind 127.0.0.1)")


def serve(ctx: AppContext, host: str, port: int) -> None:
    import uvicorn

    from services.web.app import create_app

    token = ctx.settings.web_token.get_secret_value() if ctx.settings.web_token else None
    check_exposure(host, token)
    app = create_app(ctx)
    log.info("web view on http://%s:%d/ (token %s)", host, port,
             "required" if token else "not required: loopback only")
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                            server_header=False, proxy_headers=False, lifespan="off")
    uvicorn.Server(config).run()
