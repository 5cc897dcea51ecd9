"""Canonical forms of article links, shared by the fetcher (identity) and stories (grouping).

Two strengths: ``canonical_url`` keeps everything that can name a different page and drops
only tracking noise (safe for an entry's identity); ``story_url`` also folds the mobile, AMP
and ``www.`` variants outlets and aggregators hand out, which is right for recognising one
article under several links but not for fetching.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HTTP_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "_hs", "hsa_", "__")
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "ocid", "cmpid", "ito", "smid",
        "at_medium", "at_campaign", "rss", "ref_src", "ncid",
    }
)
# Only for grouping: parameters that select a variant or a referrer, not another article.
STORY_ONLY_PARAMS = frozenset(
    {"ref", "cmp", "sr_share", "outputtype", "amp", "taid", "mbid", "spm", "share", "feature",
     "guccounter"}
)
MOBILE_PREFIXES = ("www.", "m.", "mobile.", "amp.")


def is_tracking(name: str, *, for_story: bool = False) -> bool:
    lowered = name.lower()
    if lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES):
        return True
    return for_story and lowered in STORY_ONLY_PARAMS


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
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def story_url(url: str) -> str:
    """One spelling per article: also folds mobile/AMP/www variants and http vs https."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in MOBILE_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = _strip_amp_path(parts.path) or "/"
    if path != "/":
        path = path.rstrip("/")
    for suffix in (".amp", ".amp.html"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking(k, for_story=True)
    ]
    return urlunsplit((scheme if scheme != "http" else "https", netloc, path,
                       urlencode(sorted(query)), ""))


def _strip_amp_path(path: str) -> str:
    """Drop ``amp`` path segments: ``/amp/x``, ``/x/amp``, ``/x/amp/``."""
    segments = [s for s in path.split("/") if s.lower() not in ("amp", "amphtml")]
    return "/".join(segments)
