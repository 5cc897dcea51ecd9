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

from shared.urls import canonical_url

__all__ = ["MAX_IDENTITY", "canonical_url", "content_hash", "entry_identity"]

MAX_IDENTITY = 512


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
