"""The notifier's tick thread outlives a tick that fails in a way nobody foresaw."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from services.notifier import service
from tests.notifier.world import make_config, make_context


def test_the_tick_loop_survives_an_unexpected_error(
        pg_clean: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ctx = make_context(pg_clean, make_config([], tick_every="0.05s"))
    stop = threading.Event()
    calls: list[int] = []
    real_tick = service.tick

    def tick(ctx_: Any, orphans: Any = None) -> service.TickReport:
        calls.append(len(calls))
        if len(calls) == 1:
            raise KeyError("a bug in one pass")  # none of the outage errors safe_tick expects
        stop.set()
        return real_tick(ctx_, orphans=orphans)

    monkeypatch.setattr(service, "tick", tick)
    thread = threading.Thread(target=service._tick_loop, args=(ctx, stop, None), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert calls == [0, 1]  # the second tick ran after the first one blew up
    assert any(r.exc_info and "tick failed unexpectedly" in r.getMessage() for r in caplog.records)
