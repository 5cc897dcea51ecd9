"""OPML in and out: the subscription-list format every feed reader speaks.

The YAML config stays the one source of truth for feeds (the poller disables feeds that are
not in it), so import means "add these to the config file": ``new_feed_lines`` renders the
YAML items and ``append_to_config`` inserts them at the end of the ``feeds:`` list, leaving
every other line (and comment) of the file as it was. OPML files come from elsewhere, so
they are parsed with defusedxml (no entity expansion, no external entities).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.fetcher.identity import canonical_url
from shared.exceptions import ConfigError


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an http(s) ``xmlUrl``, nested folders included, first one wins."""
    try:
        root = fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise ConfigError(f"not a usable OPML file: {exc}") from exc
    found: dict[str, OpmlFeed] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or canonical_url(url) is None:
            continue
        title = outline.get("title") or outline.get("text") or None
        found.setdefault(url, OpmlFeed(url=url, title=title.strip() if title else None))
    return list(found.values())


def write_opml(feeds: Iterable[OpmlFeed], title: str = "newswatch feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = feed.title or feed.url
        ET.SubElement(body, "outline", type="rss", text=name, title=name, xmlUrl=feed.url)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def new_feed_lines(feeds: Sequence[OpmlFeed], known: Iterable[str], indent: int) -> list[str]:
    """YAML list items for the feeds the config does not have yet (JSON strings are YAML)."""
    seen = set(known)
    pad = " " * indent
    lines: list[str] = []
    for feed in feeds:
        if feed.url in seen:
            continue
        seen.add(feed.url)
        lines.append(f"{pad}- url: {json.dumps(feed.url)}")
        if feed.title:
            lines.append(f"{pad}  name: {json.dumps(feed.title, ensure_ascii=False)}")
    return lines


def append_to_config(path: Path, feeds: Sequence[OpmlFeed], known: Iterable[str]) -> int:
    """Insert the new feeds after the last item of ``feeds:``; returns how many were added."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines()
    node = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    section = _feeds_node(node)
    if section is None:
        items = new_feed_lines(feeds, known, indent=2)
        if items:
            lines += ["", "feeds:", *items] if lines else ["feeds:", *items]
    elif isinstance(section, yaml.SequenceNode) and section.value and not section.flow_style:
        items = new_feed_lines(feeds, known, indent=section.start_mark.column)
        end = section.value[-1].end_mark
        at = end.line if end.column == 0 else end.line + 1
        lines[at:at] = items
    else:
        raise ConfigError(
            f"{path}: `feeds:` is not a block list; add the feeds by hand "
            "(`newswatch feeds import FILE` without --write prints them)"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(1 for line in items if line.lstrip().startswith("- url:"))


def _feeds_node(node: yaml.Node | None) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == "feeds":
            return value  # type: ignore[no-any-return]
    return None
