"""The user's YAML config: what to watch, how to score it, whom to tell.

Loaded from ``--config``, else ``$NEWSWATCH_CONFIG``, else ``./newswatch.yaml``. ``${VAR}``
(or ``${VAR:-default}``) in any string value is replaced from the environment, so secrets stay
out of committed files. Every section is a typed model that forbids unknown keys; a mistake is
reported as ``file:line: key.path: what is wrong``.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.durations import parse_duration, parse_size
from shared.exceptions import ConfigError

# libyaml's loader when PyYAML was built with it: the pure-Python one costs a CLI start-up.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

BUILTIN_TOPIC_IDS = ("axis",)

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- feeds / fetcher ---------------------------------------------------------------------


class FeedConfig(StrictModel):
    url: str
    name: str | None = None
    interval: Duration | None = None
    allow_private: bool = False

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
            raise ValueError(f"feed url must be http:// or https://, got {value!r}")
        return value


class FetcherConfig(StrictModel):
    allow_private_networks: bool = False
    min_interval: Duration = timedelta(minutes=5)
    max_interval: Duration = timedelta(hours=24)
    default_interval: Duration = timedelta(minutes=15)
    max_backoff: Duration = timedelta(hours=24)
    max_concurrency: int = Field(default=50, ge=1)
    per_host_concurrency: int = Field(default=6, ge=1)  # in flight per host: browsers open 6
    connect_timeout: Duration = timedelta(seconds=10)
    read_timeout: Duration = timedelta(seconds=20)
    deadline: Duration = timedelta(seconds=30)
    max_body_size: Size = 15 * 1024 * 1024
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "newswatch/0.1 (+https://github.com/newswatch/newswatch)"
    # Parsing runs in this many worker processes (feedparser is pure Python, so threads would
    # share one core); None = one per CPU, 0 = a thread of the poller (tests, tiny setups).
    parse_processes: int | None = Field(default=None, ge=0)
    sync_every: Duration = timedelta(seconds=30)  # config reload + feeds-table sync cadence


# --- topics / classifier -------------------------------------------------------------------


class TermGroupConfig(StrictModel):
    """Aliases of one idea; matched case-insensitively after stemming (so plurals match)."""

    label: str | None = None
    terms: list[str] = Field(min_length=1)
    # Classifier refinements (see shared.topics.TermGroup): conditional aliases and contexts.
    counts_as: str | None = None
    only_with: list[str] = []
    explains: list[str] = []
    unless: list[str] = []
    near: list[str] = []
    near_words: int = Field(default=12, ge=1)


class RefinementsConfig(StrictModel):
    """Optional sharpening of a topic (see shared.topics.Refinements for the meaning)."""

    groups: dict[str, TermGroupConfig] = {}
    require: list[list[str]] = []
    support: list[str] = []
    weak: list[str] = []
    penalize: list[str] = []
    contexts: list[str] = []


class TopicConfig(StrictModel):
    """A topic: reference documents plus optional refinements (see shared.topics)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str | None = None
    description: str | None = None
    references: list[str] | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    refinements: RefinementsConfig | None = None


# --- subscriptions / notifier ----------------------------------------------------------------

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_tz(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class DigestConfig(StrictModel):
    every: Duration | None = None
    at: str | None = None
    tz: str = "UTC"

    @model_validator(mode="after")
    def _one_schedule(self) -> DigestConfig:
        if (self.every is None) == (self.at is None):
            raise ValueError("digest needs exactly one of 'every' (e.g. 1h) or 'at' (e.g. \"08:00\")")
        if self.at is not None and not _HHMM.match(self.at):
            raise ValueError(f"digest.at must be HH:MM, got {self.at!r}")
        _check_tz(self.tz)
        return self


class QuietHours(StrictModel):
    start: str
    end: str
    tz: str = "UTC"

    @model_validator(mode="after")
    def _valid(self) -> QuietHours:
        for value in (self.start, self.end):
            if not _HHMM.match(value):
                raise ValueError(f"quiet_hours times must be HH:MM, got {value!r}")
        _check_tz(self.tz)
        return self


class FeedFilter(StrictModel):
    """Feed names or URLs (substring match) a subscription includes or excludes."""

    include: list[str] = []
    exclude: list[str] = []


class SlackChannel(StrictModel):
    webhook_url: SecretStr


class EmailChannel(StrictModel):
    to: list[str] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or any(c in address for c in "\r\n,; "):
                raise ValueError(f"not an email address: {address!r}")
        return value


class WebhookChannel(StrictModel):
    url: SecretStr
    secret: SecretStr | None = None


class ConsoleChannel(StrictModel):
    pass


ChannelName = Literal["slack", "email", "webhook", "console"]
CHANNEL_NAMES: tuple[ChannelName, ...] = ("slack", "email", "webhook", "console")


class SubscriptionConfig(StrictModel):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    topics: list[str] = Field(min_length=1)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    digest: DigestConfig | None = None
    quiet_hours: QuietHours | None = None
    feeds: FeedFilter | None = None
    max_per_hour: int | None = Field(default=None, ge=1)
    slack: SlackChannel | None = None
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    console: ConsoleChannel | None = None

    @model_validator(mode="after")
    def _one_channel(self) -> SubscriptionConfig:
        chosen = [name for name in CHANNEL_NAMES if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "a subscription needs exactly one channel of slack, email, webhook, console; "
                f"got {chosen or 'none'}"
            )
        return self

    @property
    def channel(self) -> ChannelName:
        return next(name for name in CHANNEL_NAMES if getattr(self, name) is not None)

    @property
    def mode(self) -> Literal["instant", "digest"]:
        return "digest" if self.digest else "instant"


class NotifierConfig(StrictModel):
    retry_for: Duration = timedelta(hours=6)
    retry_base: Duration = timedelta(seconds=5)
    retry_max_interval: Duration = timedelta(minutes=30)
    lease: Duration = timedelta(minutes=5)
    slack_min_interval: Duration = timedelta(seconds=1)
    timeout: Duration = timedelta(seconds=15)
    tick_every: Duration = timedelta(seconds=5)  # housekeeping cadence of `newswatch notifier`
    requeue_after: Duration = timedelta(seconds=30)  # re-enqueue a job nobody picked up (lost)
    email_list_domain: str = "newswatch.local"  # Message-ID / List-Id domain
    email_unsubscribe: str | None = None  # mailto: or https: for List-Unsubscribe


class StoriesConfig(StrictModel):
    """Story grouping and the update rules of "one alert per story"."""

    window: Duration = timedelta(hours=72)
    syndicated_threshold: float = Field(default=0.5, gt=0, le=0.95)  # MinHash LSH needs >= 2 bands
    event_threshold: float = Field(default=0.27, gt=0, le=1)  # TF-IDF cosine, same event
    story_threshold: float = Field(default=0.2, ge=0, le=1)  # cosine to a big story's centroid
    updates: bool = True  # a growing story may send an update marked as such
    update_min_new_outlets: int = Field(default=3, ge=1)  # outlets added since the last alert
    update_score_gain: float = Field(default=0.2, gt=0)  # or a score this much higher
    update_min_interval: Duration = timedelta(hours=6)
    max_updates: int = Field(default=1, ge=0)  # per subscription and story


# --- the whole file ----------------------------------------------------------------------------


class AppConfig(StrictModel):
    alert_max_age: Duration = timedelta(hours=48)
    feeds: list[FeedConfig] = []
    topics: list[TopicConfig] = []
    subscriptions: list[SubscriptionConfig] = []
    fetcher: FetcherConfig = FetcherConfig()
    notifier: NotifierConfig = NotifierConfig()
    stories: StoriesConfig = StoriesConfig()

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path:
        """Relative reference paths resolve against the config file's folder."""
        return self._base_dir

    @property
    def source(self) -> Path | None:
        return self._source

    @model_validator(mode="after")
    def _consistent(self) -> AppConfig:
        _unique("feeds", [feed.url for feed in self.feeds])
        _unique("topics", [topic.id for topic in self.topics])
        _unique("subscriptions", [sub.id for sub in self.subscriptions])
        known = set(BUILTIN_TOPIC_IDS) | {topic.id for topic in self.topics}
        for sub in self.subscriptions:
            unknown = sorted(set(sub.topics) - known)
            if unknown:
                raise ValueError(
                    f"subscription {sub.id!r} names unknown topics {unknown}; known: {sorted(known)}"
                )
        return self

    def subscription(self, subscription_id: str) -> SubscriptionConfig | None:
        return next((s for s in self.subscriptions if s.id == subscription_id), None)


def _unique(section: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{section}: {key!r} appears twice")
        seen.add(key)


# --- loading -------------------------------------------------------------------------------------

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_config(path: Path | str | None = None, *, required: bool = False) -> AppConfig:
    """Read, substitute and validate the config file.

    Without ``required``, a missing default file means "no feeds, built-in topic only",
    which is what ``newswatch score`` wants on a fresh clone.
    """
    from shared.settings import get_settings

    explicit = path is not None or get_settings().config_path is not None
    config_path = Path(path) if path is not None else get_settings().resolved_config_path()
    if not config_path.exists():
        if required or explicit:
            raise ConfigError(
                f"config file not found: {config_path} (pass --config PATH or set NEWSWATCH_CONFIG)"
            )
        return AppConfig()
    text = config_path.read_text(encoding="utf-8")
    return parse_config(text, source=config_path)


def parse_config(text: str, *, source: Path | None = None) -> AppConfig:
    name = str(source) if source else "<config>"
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
        data = yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{name}:1: the config must be a mapping of sections (feeds, topics, ...)")
    lines = _line_index(node) if node is not None else {}
    data = _substitute(data, (), name, lines)
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, name, lines)) from None
    if source is not None:
        config._base_dir = source.resolve().parent
        config._source = source
    return config


def _substitute(value: Any, loc: tuple[Any, ...], name: str, lines: dict[tuple[Any, ...], int]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, (*loc, k), name, lines) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*loc, i), name, lines) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def replace(match: re.Match[str]) -> str:
            var, default = match.group(1), match.group(2)
            found = os.environ.get(var)
            if found is None or (found == "" and default is not None):
                if default is None:
                    raise ConfigError(
                        f"{name}:{_line_for(loc, lines)}: {_dotted(loc)}: environment variable "
                        f"{var} is not set (set it, or write ${{{var}:-default}})"
                    )
                return default
            return found

        return _ENV_REF.sub(replace, value)
    return value


def _line_index(node: yaml.Node, loc: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    index = {loc: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*loc, key_node.value)
            index[key] = key_node.start_mark.line + 1
            for sub, line in _line_index(value_node, key).items():
                index.setdefault(sub, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*loc, i)))
    return index


def _line_for(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(exc: ValidationError, name: str, lines: dict[tuple[Any, ...], int]) -> str:
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see the config reference in README.md)"
        problems.append(f"{name}:{_line_for(loc, lines)}: {_dotted(loc)}: {message}")
    return "\n".join(problems)
