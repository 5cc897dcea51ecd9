"""What every request handler reads: the process context, the resolved topics, known secrets.

The config follows its file (``shared.context.watch_config`` runs in ``newswatch web``); the
topics and the secrets to redact are derived again whenever the config object changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from starlette.requests import Request

from shared.config import AppConfig, SubscriptionConfig
from shared.context import AppContext
from shared.topics import ResolvedTopic, resolve_topics


@dataclass
class WebState:
    ctx: AppContext
    _derived: tuple[AppConfig, list[ResolvedTopic], list[str]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, ctx: AppContext) -> WebState:
        state = cls(ctx=ctx)
        state._current()  # a bad topic fails at start, not on the first request
        return state

    def _current(self) -> tuple[AppConfig, list[ResolvedTopic], list[str]]:
        config = self.ctx.config
        with self._lock:
            if self._derived is None or self._derived[0] is not config:
                self._derived = (config, resolve_topics(config), _known_secrets(self.ctx, config))
            return self._derived

    @property
    def topics(self) -> list[ResolvedTopic]:
        return self._current()[1]

    @property
    def secrets(self) -> list[str]:  # never rendered: stripped from texts
        return self._current()[2]

    @property
    def subscriptions(self) -> list[SubscriptionConfig]:
        return list(self.ctx.config.subscriptions)

    def topic(self, topic_id: str) -> ResolvedTopic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def subscription(self, subscription_id: str) -> SubscriptionConfig | None:
        return next((s for s in self.subscriptions if s.id == subscription_id), None)


def _known_secrets(ctx: AppContext, config: AppConfig) -> list[str]:
    found = []
    settings = ctx.settings
    for value in (settings.smtp_password, settings.web_token, settings.secret_key):
        if value is not None:
            found.append(value.get_secret_value())
    for sub in config.subscriptions:
        if sub.slack is not None:
            found.append(sub.slack.webhook_url.get_secret_value())
        if sub.webhook is not None:
            found.append(sub.webhook.url.get_secret_value())
            if sub.webhook.secret is not None:
                found.append(sub.webhook.secret.get_secret_value())
    return [s for s in found if s]


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
