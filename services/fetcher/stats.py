"""What one poll did, in numbers: its own module so `run --once` can read a forked poll's
counts without importing the fetcher (httpx, the parse pool) into the classifying process."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class PollStats:
    feeds_polled: int = 0
    feeds_failed: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    feeds_not_modified: int = 0  # 304
    feeds_unchanged: int = 0  # 200 with the body hash we had
    parse_cpu_seconds: float = 0.0  # measured in the parsing processes

    def add(self, other: PollStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PollStats:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
