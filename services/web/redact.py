"""Nothing secret reaches a page: URLs lose credentials, paths of known secrets and queries.

Feed URLs may carry an API key in their query; webhook URLs carry their credential in the
path; error texts may quote either. The notifier already redacts what it stores; this is the
page's own second line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

HIDDEN = "***"
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def public_url(url: str) -> str:
    """scheme://host/path, with user info and query replaced by ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    netloc = (f"{HIDDEN}@" if parts.username or parts.password else "") + host + port
    return urlunsplit((parts.scheme, netloc, parts.path, HIDDEN if parts.query else "", ""))


def clean_text(text: str | None, secrets: Iterable[str] = ()) -> str:
    """Error text with known secrets removed and every URL in it made public."""
    if not text:
        return ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return _URL.sub(lambda m: public_url(m.group(0)), text)
