"""Which stored article an entry is: canonical URLs and entry identities.

The identity must survive a refetch (so an entry is stored once) and differ between
entries (so none is lost). In order of trust: the GUID when present and unique in the
document; else the canonical link (tracking parameters, fragment and default port removed,
so the same story shared through a newsletter link is still the same entry); else a hash of
title + summary. Identities carry their source as a prefix and are capped at
``MAX_IDENTITY`` characters (longer ones are hashed), which the database column holds.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_IDENTITY = 512
HTTP_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "_hs")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "ocid", "cmpid", "ito", "smid",
        "at_medium", "at_campaign", "rss", "ref_src", "__twitter_impression",
    }
)


def canonical_url(url: str) -> str | None:
    """The comparable form of an http(s) URL, or None for any other scheme or garbage."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in HTTP_SCHEMES or not host:
        return None
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def content_hash(title: str, summary: str) -> str:
    """What decides "changed": the plain-text title and summary we store."""
    return hashlib.sha256(f"{title}\x00{summary}".encode()).hexdigest()


def entry_identity(
    guid: str | None, link: str | None, title: str, summary: str, *, guid_unique: bool
) -> str:
    """The per-feed identity of one entry (see the module docstring for the order)."""
    guid = (guid or "").strip()
    if guid and guid_unique:
        return _capped("guid:" + (canonical_url(guid) or guid))
    if link:
        return _capped("link:" + link)
    return "hash:" + content_hash(title.strip(), summary.strip())


def _capped(identity: str) -> str:
    if len(identity) <= MAX_IDENTITY:
        return identity
    prefix = identity.split(":", 1)[0]
    return f"{prefix}-sha256:" + hashlib.sha256(identity.encode()).hexdigest()
