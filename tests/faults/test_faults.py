"""Faults of the servers newswatch depends on, in distributed mode with real processes.

Each scenario: a fresh database on the suite's PostgreSQL, an empty Redis, the fetcher, the
classifier(s) and notifier(s) as `newswatch` processes under a supervisor, a newsroom whose
four feeds publish 26 items (14 alert-worthy, distinct stories) in waves over 20 s, a Slack
receiver and an SMTP server. The fault happens mid-run; then we wait (bounded) for every
alert on both channels and count: delivered once / lost / duplicated, and the worst delay
from the fault's end (or the item's publication, if later) to its first arrival. All
newswatch timers are the defaults.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from shared import store
from shared.db import make_engine, migrate, normalize_url
from tests.faults.conftest import RESULTS, FaultServers
from tests.faults.harness import (
    ChannelCount,
    Mailer,
    Newsroom,
    Reply,
    Service,
    SlackSink,
    Supervisor,
    load_corpus,
    service_env,
    tally,
    write_config,
)

READY_TIMEOUT = 120.0  # seconds for every service to be up
SETTLE = 90.0  # seconds after the fault's end (and the last wave) for everything to arrive
LINGER = 6.0  # seconds we keep listening after the last expected arrival, to catch repeats
LATENCY_GOAL = 60.0
DATABASE = "newswatch_faults"

TABLE_HEADER = [
    f"{'fault':46} | {'Slack good/lost/dup':19} | {'email good/lost/dup':19} | "
    f"{'latency s':9} | notes",
    f"{'-' * 46}-|-{'-' * 19}-|-{'-' * 19}-|-{'-' * 9}-|------",
]


@dataclass
class Run:
    servers: FaultServers
    newsroom: Newsroom
    slack: SlackSink
    mailer: Mailer
    services: dict[str, Service]
    t0: float = 0.0
    note: str = ""

    @property
    def redis(self) -> Redis:
        return Redis.from_url(self.servers.redis.url)

    def queued(self, queue: str) -> int:
        try:
            return int(self.redis.llen(f"rq:queue:{queue}"))
        except RedisError:
            return 0

    def started(self, queue: str) -> int:
        try:
            return int(self.redis.zcard(f"rq:wip:{queue}"))
        except RedisError:
            return 0

    def restart_of(self, name: str) -> float:
        """Kill -9 ``name`` and wait for the supervisor to start it again."""
        service = self.services[name]
        before = service.restarts
        service.kill9()
        wait_for(lambda: service.restarts > before, 15, f"{name} restarted")
        return time.monotonic()


def wait_for(condition: Callable[[], bool], timeout: float, what: str, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def after_wave(run: Run, wave: float) -> None:
    wait_for(lambda: time.monotonic() >= run.t0 + wave, wave + 1, "wave")


def mid_burst(run: Run, queue: str, depth: int = 1, timeout: float = 8.0) -> None:
    """Wait until ``queue`` holds jobs (queued or running); note it when it never did."""
    seen = wait_for(lambda: run.queued(queue) + run.started(queue) >= depth, timeout, "burst",
                    step=0.002)
    run.note = (f"{run.queued(queue)} queued + {run.started(queue)} running {queue} jobs "
                "at the fault" if seen else f"no {queue} backlog seen; faulted anyway")


# --- the faults: each returns when it ended (time.monotonic()) ---------------------------------


def no_fault(run: Run) -> float:
    return run.t0


def kill_classifier(run: Run) -> float:
    after_wave(run, 8)
    mid_burst(run, "classify")
    return run.restart_of("classifier-1")


def kill_notifier_in_flight(run: Run) -> float:
    if not run.slack.hanging.wait(timeout=40):
        run.note = "Slack never hung"
        return time.monotonic()
    run.note = "killed while Slack held message 3 unanswered"
    end = run.restart_of("notifier-1")
    run.slack.release.set()
    return end


def redis_nosave_with_jobs(run: Run) -> float:
    after_wave(run, 8)
    mid_burst(run, "notify", depth=2)
    run.servers.redis.shutdown_nosave()
    time.sleep(5)
    run.servers.redis.start()
    run.note += "; Redis down 5 s"
    return time.monotonic()


def redis_down_first_pass(run: Run) -> float:
    run.servers.redis.shutdown_nosave()
    time.sleep(8)
    run.servers.redis.start()
    run.note = "Redis down from t0 for 8 s (waves 0 and 4 stored meanwhile)"
    return time.monotonic()


def postgres_restart(run: Run) -> float:
    after_wave(run, 8)
    mid_burst(run, "notify", depth=2)
    started = time.monotonic()
    run.servers.pg.restart_fast()
    run.note += f"; restart took {time.monotonic() - started:.1f} s"
    return time.monotonic()


def slack_429_then_500(run: Run) -> float:
    end = run.t0 + 4 + 20
    wait_for(lambda: time.monotonic() >= end, 30, "slack outage over", step=0.1)
    return end


def smtp_451_first_8(run: Run) -> float:
    handler = run.mailer.handler
    wait_for(lambda: handler.attempts >= 8, 60, "8 refusals", step=0.05)
    return handler.failed_until or time.monotonic()


def slack_outage_policy(run: Run) -> Callable[[int], Reply]:
    state = {"first": True}

    def decide(_n: int) -> Reply:
        now = time.monotonic()
        if not run.t0 or now < run.t0 + 4:
            return Reply()
        if state["first"]:
            state["first"] = False
            return Reply(429, "rate_limited", {"Retry-After": "1"})
        if now < run.t0 + 24:
            return Reply(500, "internal_error")
        return Reply()

    return decide


@dataclass(frozen=True)
class Scenario:
    name: str
    act: Callable[[Run], float]
    classifiers: int = 1
    notifiers: int = 1
    slack_dups_allowed: int = 0

    def prepare(self, run: Run) -> None:
        if self.act is kill_notifier_in_flight:
            run.slack.decide = lambda n: Reply(hang=True) if n == 3 else Reply()
        elif self.act is slack_429_then_500:
            run.slack.decide = slack_outage_policy(run)
        elif self.act is smtp_451_first_8:
            run.mailer.handler.fail_first = 8


SCENARIOS = [
    Scenario("none (baseline)", no_fault),
    Scenario("kill -9 classifier mid-burst", kill_classifier),
    Scenario("kill -9 notifier, Slack accepted, no answer", kill_notifier_in_flight,
             slack_dups_allowed=1),
    Scenario("Redis SHUTDOWN NOSAVE with jobs queued", redis_nosave_with_jobs),
    Scenario("Redis SHUTDOWN NOSAVE during first pass", redis_down_first_pass),
    Scenario("PostgreSQL restart -m fast mid-burst", postgres_restart),
    Scenario("Slack 429 (Retry-After 1) then 500 for 20 s", slack_429_then_500),
    Scenario("SMTP 451 for the first 8 messages", smtp_451_first_8),
    Scenario("two classifiers + two notifiers, no fault", no_fault, classifiers=2, notifiers=2),
]


def _fresh_database(servers: FaultServers) -> str:
    admin = create_engine(normalize_url(servers.pg.url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = servers.pg.url(DATABASE)
    migrate(url)
    return url


def _workers_ready(redis_url: str, count: int) -> bool:
    try:
        return int(Redis.from_url(redis_url).scard("rq:workers")) >= count
    except RedisError:
        return False


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault(scenario: Scenario, fault_servers: FaultServers, tmp_path: Path) -> None:
    feeds, items = load_corpus()
    db_url = _fresh_database(fault_servers)
    if not fault_servers.redis.process or fault_servers.redis.process.poll() is not None:
        fault_servers.redis.start()
    Redis.from_url(fault_servers.redis.url).flushall()
    newsroom, slack, mailer = Newsroom(feeds, items), SlackSink(), Mailer()
    config = write_config(tmp_path / "newswatch.yaml", newsroom)
    env = service_env(db_url, fault_servers.redis.url, slack, mailer)
    args = ["--config", str(config)]
    services = {"fetcher": Service("fetcher", ["fetcher", *args], env, tmp_path)}
    for i in range(1, scenario.classifiers + 1):
        services[f"classifier-{i}"] = Service(f"classifier-{i}", ["classifier", *args], env, tmp_path)
    for i in range(1, scenario.notifiers + 1):
        services[f"notifier-{i}"] = Service(f"notifier-{i}", ["notifier", *args], env, tmp_path)
    run = Run(fault_servers, newsroom, slack, mailer, services)
    scenario.prepare(run)
    for service in services.values():
        service.start()
    supervisor = Supervisor(list(services.values()))
    stop_seconds: dict[str, float] = {}
    try:
        workers = scenario.classifiers + scenario.notifiers
        assert wait_for(lambda: _workers_ready(fault_servers.redis.url, workers), READY_TIMEOUT,
                        "workers", step=0.2), "services did not start: see the logs in " + str(tmp_path)
        run.t0 = newsroom.start_clock()
        fault_end = scenario.act(run)
        last_wave = run.t0 + max(i.wave for i in items)
        deadline = max(fault_end, last_wave) + SETTLE
        expected = sum(1 for i in items if i.alert)

        ledger = make_engine(db_url)

        def complete() -> bool:
            """Every alert arrived and the ledger is settled (a row still 'sending' or
            'retry' may yet become a duplicate)."""
            ready = lambda i: max(fault_end, newsroom.visible_at(i))  # noqa: E731
            if (tally(slack.received, items, ready).good != expected
                    or tally(mailer.handler.received, items, ready).good != expected):
                return False
            try:
                with ledger.connect() as conn:
                    return not store.unfinished(conn, limit=1)
            except SQLAlchemyError:
                return False

        wait_for(lambda: time.monotonic() >= last_wave and complete(),
                 max(deadline - time.monotonic(), 0), "all alerts", step=0.2)
        time.sleep(LINGER)
        ledger.dispose()
    finally:
        supervisor.stop()
        for name, service in services.items():
            stop_seconds[name] = service.stop()
        newsroom.stop()
        slack.stop()
        mailer.stop()

    def ready_at(item: object) -> float:
        return max(fault_end, newsroom.visible_at(item))  # type: ignore[arg-type]

    slack_count = tally(slack.received, items, ready_at)
    mail_count = tally(mailer.handler.received, items, ready_at)
    latency = max((c.latency for c in (slack_count, mail_count) if c.latency is not None),
                  default=None)
    slowest_stop = max(stop_seconds.values())
    engine = make_engine(db_url)
    with engine.connect() as conn:
        unknown = len(store.outcome_unknown(conn))
        unfinished = len(store.unfinished(conn))
    engine.dispose()
    ledger = (f"{unknown} row(s) 'outcome unknown'" if unknown else "",
              f"{unfinished} unsent in the ledger" if unfinished else "")
    notes = "; ".join(n for n in (run.note.strip("; "), *ledger,
                                  f"SIGTERM exit {slowest_stop:.1f} s") if n)
    RESULTS.append(f"{scenario.name:46} | {_cell(slack_count):19} | {_cell(mail_count):19} | "
                   f"{'-' if latency is None else f'{latency:.1f}':>9} | {notes}")

    for label, count in (("Slack", slack_count), ("email", mail_count)):
        assert count.lost == 0, f"{label}: {count.lost} alerts lost (logs: {tmp_path})"
        assert count.extra == 0, f"{label}: {count.extra} messages about non-alert items"
    assert mail_count.dup == 0, f"email duplicated {mail_count.dup} (logs: {tmp_path})"
    assert slack_count.dup <= scenario.slack_dups_allowed, f"Slack duplicated {slack_count.dup}"
    assert latency is not None and latency <= LATENCY_GOAL, f"worst delay {latency} s"
    assert slowest_stop < 15, f"a service took {slowest_stop:.1f} s to stop on SIGTERM"


def _cell(count: ChannelCount) -> str:
    return f"{count.good} / {count.lost} / {count.dup}"
