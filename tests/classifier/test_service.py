"""The classifier's recovery thread outlives a sweep that fails in a way nobody foresaw."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from services.classifier import service
from shared.queue import RedisQueue


def test_the_recovery_loop_survives_an_unexpected_error(
        redis_clean: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    queue = RedisQueue(redis_clean)
    stop = threading.Event()
    calls: list[int] = []

    def sweep(ctx: Any, queue_: RedisQueue, older_than: timedelta, resweeps: Any) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise KeyError("a bug in one pass")  # none of the outage errors the loop expects
        queue_.requeue_failed("classify")  # the real second pass
        stop.set()

    monkeypatch.setattr(service, "sweep", sweep)
    monkeypatch.setattr(service, "RECOVERY_EVERY", timedelta(seconds=0.05))
    thread = threading.Thread(target=service._recover_periodically,
                              args=(None, queue, stop, timedelta(0)), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert calls == [0, 1]
    assert any(r.exc_info and "sweep failed unexpectedly" in r.getMessage()
               for r in caplog.records)
