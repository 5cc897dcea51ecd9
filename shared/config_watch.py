"""Notice edits of the config file and of the topic reference files it names.

Every long-running service (fetcher, classifier, notifier) holds one ``ConfigWatcher``
through its ``AppContext``. A check costs a few ``stat`` calls plus hashing the config file
(a few KB), so jobs may ask for one before they run; ``due()`` keeps it to one check every
``every`` seconds. The fingerprint is the config file's content hash and, for every reference
file the config's topics name (globs expanded afresh, so an added file counts), its inode,
mtime and size. Content rather than mtime is what decides for the config itself, because an
editor's safe write, ``mv`` or ``git pull`` may keep the mtime and always changes the inode.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from shared.config import AppConfig, load_config

log = logging.getLogger(__name__)

CHECK_EVERY = 2.0  # seconds between two looks at the config directory

Fingerprint = tuple[object, ...]


def fingerprint(path: Path, config: AppConfig) -> Fingerprint:
    """What changes when the config or one of its topics' reference files changes."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = "missing"
    files: list[tuple[str, int, int, int]] = []
    for topic in config.topics:
        for pattern in topic.references or ():
            full = pattern if Path(pattern).is_absolute() else str(config.base_dir / pattern)
            for name in sorted(glob.glob(full, recursive=True)):
                try:
                    st = Path(name).stat()
                except OSError:
                    continue
                files.append((name, st.st_ino, st.st_mtime_ns, st.st_size))
    return digest, tuple(files)


class ConfigWatcher:
    """Reloads the config when its fingerprint changes; a broken edit is reported once."""

    def __init__(self, path: Path, config: AppConfig, *, every: float = CHECK_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._seen = fingerprint(path, config)
        self._last_check = clock()

    def due(self) -> bool:
        return self._clock() - self._last_check >= self.every

    def check(self, current: AppConfig, *, force: bool = False) -> AppConfig | None:
        """The new config if something changed since the last check, else None.

        Raises ConfigError for a changed but invalid config; the same broken state is not
        reported again, so callers keep the previous config and log once.
        """
        with self._lock:
            if not force and not self.due():
                return None
            self._last_check = self._clock()
            if not self.path.exists():
                return None  # mid-replace (or removed): keep what runs
            seen = fingerprint(self.path, current)
            if seen == self._seen:
                return None
            self._seen = seen
            fresh = load_config(self.path)
            # The new config may name other reference files: remember those.
            self._seen = fingerprint(self.path, fresh)
            return fresh
