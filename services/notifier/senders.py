"""Build the channel a subscription names, sharing one HTTP client and one pacer per process."""

from __future__ import annotations

import httpx

from services.notifier.channels import Channel
from services.notifier.channels.console import ConsoleChannel
from services.notifier.channels.email import EmailChannel, SmtpServer
from services.notifier.channels.slack import SlackChannel
from services.notifier.channels.webhook import WebhookChannel
from services.notifier.pacing import LocalPacer, Pacer, RedisPacer
from shared.config import SubscriptionConfig
from shared.context import AppContext
from shared.exceptions import PermanentDeliveryError
from shared.queue import RedisQueue

DEFAULT_SMTP_PORT = {"ssl": 465, "starttls": 587, "none": 25}
_HTTP_KEY = "notifier.http"
_PACER_KEY = "notifier.pacer"


def http_client(ctx: AppContext) -> httpx.Client:
    """One pooled client per process, kept across config reloads; replaced (and the old one
    closed) only when the configured timeout changes."""
    timeout = ctx.config.notifier.timeout.total_seconds()
    found = ctx.resources.get(_HTTP_KEY)
    if isinstance(found, tuple):
        old_timeout, client = found
        if old_timeout == timeout and not client.is_closed:
            return client  # type: ignore[no-any-return]
        client.close()
    # Redirects are not followed: a webhook that moved is a configuration error to fix.
    client = httpx.Client(timeout=timeout, follow_redirects=False)
    ctx.resources[_HTTP_KEY] = (timeout, client)
    return client


def pacer(ctx: AppContext) -> Pacer:
    """Send pacing (with any Retry-After deferral it learnt) survives config reloads."""
    found = ctx.resources.get(_PACER_KEY)
    if found is None:
        found = RedisPacer(ctx.queue.connection) if isinstance(ctx.queue, RedisQueue) else (
            LocalPacer())
        ctx.resources[_PACER_KEY] = found
    assert isinstance(found, LocalPacer | RedisPacer)
    return found


def smtp_server(ctx: AppContext) -> SmtpServer:
    settings = ctx.settings
    if not settings.smtp_host:
        raise PermanentDeliveryError("e-mail subscription but SMTP_HOST is not set")
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port or DEFAULT_SMTP_PORT[settings.smtp_tls],
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        tls=settings.smtp_tls,
        timeout=settings.smtp_timeout,
        list_domain=ctx.config.notifier.email_list_domain,
        unsubscribe=ctx.config.notifier.email_unsubscribe,
    )


def channel_for(ctx: AppContext, subscription: SubscriptionConfig) -> Channel:
    if subscription.slack is not None:
        interval = ctx.config.notifier.slack_min_interval.total_seconds()
        return SlackChannel(subscription.slack.webhook_url, http_client(ctx), pacer(ctx), interval)
    if subscription.email is not None:
        return EmailChannel(smtp_server(ctx), subscription.email.to)
    if subscription.webhook is not None:
        hook = subscription.webhook
        return WebhookChannel(hook.url, hook.secret, http_client(ctx))
    return ConsoleChannel()
