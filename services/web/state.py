"""What every request handler reads: the process context, the resolved topics, known secrets."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from shared.config import SubscriptionConfig
from shared.context import AppContext
from shared.topics import ResolvedTopic, resolve_topics


@dataclass
class WebState:
    ctx: AppContext
    topics: list[ResolvedTopic]
    secrets: list[str] = field(default_factory=list)  # never rendered: stripped from texts

    @classmethod
    def build(cls, ctx: AppContext) -> WebState:
        return cls(ctx=ctx, topics=resolve_topics(ctx.config), secrets=_known_secrets(ctx))

    @property
    def subscriptions(self) -> list[SubscriptionConfig]:
        return list(self.ctx.config.subscriptions)

    def topic(self, topic_id: str) -> ResolvedTopic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def subscription(self, subscription_id: str) -> SubscriptionConfig | None:
        return next((s for s in self.subscriptions if s.id == subscription_id), None)


def _known_secrets(ctx: AppContext) -> list[str]:
    found = []
    settings = ctx.settings
    for value in (settings.smtp_password, settings.web_token, settings.secret_key):
        if value is not None:
            found.append(value.get_secret_value())
    for sub in ctx.config.subscriptions:
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
