"""Slack incoming webhooks: Block Kit JSON, paced to about one message per second per webhook."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import httpx
from pydantic import SecretStr

from services.notifier import render
from services.notifier.channels import Receipt
from services.notifier.channels.http import post
from services.notifier.pacing import Pacer, pace_key
from shared.exceptions import TransientDeliveryError

log = logging.getLogger(__name__)


class SlackChannel:
    def __init__(
        self, webhook_url: SecretStr, client: httpx.Client, pacer: Pacer, min_interval: float
    ) -> None:
        self._url = webhook_url
        self._client = client
        self._pacer = pacer
        self._interval = min_interval
        self._key = pace_key(webhook_url.get_secret_value())

    def send(self, message: render.Message, key: str, now: datetime) -> Receipt:
        waited = self._pacer.wait(self._key, self._interval)
        if waited > 0.001:
            log.debug("slack paced key=%s waited=%.3fs", key, waited)
        body = json.dumps(render.slack(message, now), ensure_ascii=False).encode()
        try:
            return post(
                self._client,
                self._url.get_secret_value(),
                body,
                # Slack ignores it today; a proxy or a future API can drop a repeat by it.
                {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key},
            )
        except TransientDeliveryError as exc:
            if exc.retry_after:
                self._pacer.defer(self._key, exc.retry_after)
            raise
