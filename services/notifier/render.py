"""Turn an alert (or a batch of them) into what each channel sends.

Pure functions, no I/O, so every escaping and size rule is testable on its own. Article text is
untrusted: a headline must not be able to ping ``@channel`` in Slack, forge a link, inject an
e-mail header or run HTML. Texts are cut *before* escaping, then checked again after, so an
escape sequence is never split and Slack's per-field limits always hold.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, urlsplit

# Slack limits (https://api.slack.com/reference/block-kit/blocks): a section text holds 3000
# characters, a header 150, a context element 2000, a message 50 blocks; `text` is cut at 40000
# but Slack asks to stay under 4000. Ours stay well inside.
SLACK_SECTION_LIMIT = 3000
SLACK_HEADER_LIMIT = 150
SLACK_CONTEXT_LIMIT = 2000
SLACK_TEXT_LIMIT = 3000
SLACK_MAX_BLOCKS = 50
TITLE_LIMIT = 300
SUMMARY_LIMIT = 600
EVIDENCE_ITEMS = 8
EVIDENCE_ITEM_LIMIT = 200
PASSAGE_LIMIT = 700
DIGEST_ITEMS_SHOWN = 40  # stories; beyond this a digest says "and N more"
OTHERS_SHOWN = 5  # "Also reported by": links to at most this many other outlets' articles
OUTLET_LIMIT = 100
OTHER_TITLE_LIMIT = 160
SLACK_URL_LIMIT = 1000  # a longer link is shown as its label only: a section holds 3000
SLACK_ENTRY_LIMIT = SLACK_SECTION_LIMIT - 250  # one digest story, leaving room for its topic
WEBHOOK_SCHEMA = "newswatch.alert/v1"
WEBHOOK_BATCH_SCHEMA = "newswatch.batch/v1"
TEST_MARK = "[TEST]"
UPDATE_MARK = "Update:"
ELLIPSIS = "…"

BatchKind = Literal["digest", "summary"]


class StoryLink(NamedTuple):
    """Another outlet's article of the same story (untrusted text, like the alert's own)."""

    outlet: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Story:
    """What an alert says about its story: first seen when and where, and how widely reported.

    Read when the message is sent, not when the article arrived, so a digest or an update
    counts the outlets that joined since.
    """

    story_id: int
    first_seen_at: datetime
    first_outlet: str
    outlet_count: int
    article_count: int
    others: tuple[StoryLink, ...] = ()  # other outlets' articles, first seen first, capped

    @property
    def more_outlets(self) -> int:
        """Outlets beyond the alerted one and the linked others (named only by the count)."""
        return max(self.outlet_count - 1 - len(self.others), 0)


@dataclass(frozen=True)
class Alert:
    """One scored article for one subscription: everything a renderer needs, nothing more."""

    subscription_id: str
    article_id: int
    title: str
    url: str | None
    outlet: str
    published_at: datetime | None
    first_seen_at: datetime
    topic_id: str
    topic_name: str
    score: float
    explanation: Mapping[str, Any] = field(default_factory=dict)
    delivery_id: int | None = None
    test: bool = False
    update: bool = False  # a later article of a story already alerted (grown coverage)
    story: Story | None = None
    # Signed link where the reader labels this alert (shared.feedback_tokens), when configured.
    feedback_url: str | None = None


@dataclass(frozen=True)
class StoryEntry:
    """One story in a batch: its best-scoring alert leads, the rest of its alerts follow."""

    alerts: tuple[Alert, ...]

    @property
    def lead(self) -> Alert:
        return self.alerts[0]


@dataclass(frozen=True)
class Batch:
    """Several alerts in one message: a scheduled digest or a rate/quiet-hours summary."""

    subscription_id: str
    kind: BatchKind
    alerts: Sequence[Alert]
    batch_id: int | None = None
    test: bool = False

    def by_topic(self) -> list[tuple[str, list[Alert]]]:
        """Groups by topic name, each highest score first; topics by their best score."""
        groups: dict[str, list[Alert]] = {}
        for alert in self.alerts:
            groups.setdefault(alert.topic_name, []).append(alert)
        ordered = [(name, sorted(items, key=lambda a: -a.score)) for name, items in groups.items()]
        return sorted(ordered, key=lambda group: (-group[1][0].score, group[0]))

    def by_story(self) -> list[tuple[str, list[StoryEntry]]]:
        """``by_topic`` with each topic's alerts folded into one entry per story.

        Alerts without a story stay entries of their own; entries keep the best-score order.
        """
        grouped: list[tuple[str, list[StoryEntry]]] = []
        for topic, alerts in self.by_topic():
            entries: dict[tuple[str, int], list[Alert]] = {}
            for alert in alerts:
                key = ("story", alert.story.story_id) if alert.story else ("alert", id(alert))
                entries.setdefault(key, []).append(alert)
            grouped.append((topic, [StoryEntry(tuple(items)) for items in entries.values()]))
        return grouped

    def story_count(self) -> int:
        return sum(len(entries) for _, entries in self.by_story())


Message = Alert | Batch


# --- plain text helpers ------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) to one space."""
    return re.sub(r"\s+", " ", text or "").strip()


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, on a word boundary when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = head.rfind(" ")
    if space > limit * 0.7:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def relative_age(then: datetime, now: datetime) -> str:
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return "just now" if seconds > -60 else "in the future"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"  # pragma: no cover - loop always returns


def absolute_time(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None  # a link never holds whitespace; a newline would forge a line
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _summary(alert: Alert) -> str:
    return one_line(str(alert.explanation.get("summary") or ""))


def _evidence(alert: Alert) -> list[str]:
    raw = alert.explanation.get("evidence") or []
    items = [one_line(str(item)) for item in raw if str(item).strip()]
    return [cut(item, EVIDENCE_ITEM_LIMIT) for item in items[:EVIDENCE_ITEMS]]


def _passage(alert: Alert) -> tuple[str, str] | None:
    passage = alert.explanation.get("passage")
    if not isinstance(passage, Mapping) or not passage.get("text"):
        return None
    source = one_line(str(passage.get("source") or "reference"))
    similarity = passage.get("similarity")
    if isinstance(similarity, int | float):
        source = f"{source}, similarity {similarity:.2f}"
    return cut(one_line(str(passage["text"])), PASSAGE_LIMIT), source


def _title(alert: Alert) -> str:
    title = cut(one_line(alert.title) or "(untitled)", TITLE_LIMIT)
    if alert.update:
        title = f"{UPDATE_MARK} {title}"
    return f"{TEST_MARK} {title}" if alert.test else title


FEEDBACK_CHOICES = (("relevant", "Relevant"), ("not-relevant", "Not relevant"))


def feedback_links(alert: Alert) -> list[tuple[str, str]]:
    """(label, url) per verdict on the alert's signed feedback link; empty when none."""
    base = safe_url(alert.feedback_url)
    if not base:
        return []
    joiner = "&" if "?" in base else "?"
    return [(text, f"{base}{joiner}label={value}") for value, text in FEEDBACK_CHOICES]


def plain_alert(alert: Alert, now: datetime) -> str:
    """The readable plain-text body: e-mail text part, console output, Slack fallback."""
    lines = [_title(alert)]
    url = safe_url(alert.url)
    if url:
        lines.append(url)
    lines.append(f"{alert.outlet} · {_published(alert, now)}")
    lines.append(f"Topic: {alert.topic_name} · score {alert.score:.2f}")
    lines += _plain_story(alert, now, in_batch=False)
    summary = _summary(alert)
    if summary:
        lines += ["", f"Why: {cut(summary, SUMMARY_LIMIT)}"]
    lines += [f"  - {item}" for item in _evidence(alert)]
    passage = _passage(alert)
    if passage:
        lines.append(f'Nearest reference ({passage[1]}): "{passage[0]}"')
    links = feedback_links(alert)
    if links:
        lines += ["", "Was this relevant? " + " · ".join(f"{text}: {url}" for text, url in links)]
    if alert.test:
        lines += ["", "This is a test message from newswatch (`newswatch notify test`)."]
    return "\n".join(lines)


def plain_batch(batch: Batch, now: datetime) -> str:
    """A digest lists stories: each entry is its best alert, with where else it was reported."""
    lines = [batch_heading(batch), ""]
    shown = 0
    for topic, entries in batch.by_story():
        if shown >= DIGEST_ITEMS_SHOWN:
            break
        lines.append(f"== {one_line(topic)} ({len(entries)}) ==")
        for entry in entries[: DIGEST_ITEMS_SHOWN - shown]:
            shown += 1
            alert = entry.lead
            lines.append(f"* [{alert.score:.2f}] {cut(one_line(alert.title), TITLE_LIMIT)}")
            lines.append(f"  {_outlet(alert.outlet)} · {_published(alert, now)}")
            url = safe_url(alert.url)
            if url:
                lines.append(f"  {url}")
            if _summary(alert):
                lines.append(f"  Why: {cut(_summary(alert), 200)}")
            lines += _plain_story(alert, now, in_batch=True, indent="  ")
            links = feedback_links(alert)
            if links:
                lines.append("  " + " · ".join(f"{text}: {url}" for text, url in links))
        lines.append("")
    if batch.story_count() > shown:
        lines.append(f"… and {batch.story_count() - shown} more.")
    return "\n".join(lines).rstrip()


def batch_heading(batch: Batch) -> str:
    count = len(batch.alerts)
    noun = "alert" if count == 1 else "alerts"
    if batch.kind == "digest":
        heading = f"newswatch digest: {count} {noun}"
        stories = batch.story_count()
        if stories < count:
            heading += f" in {stories} {'story' if stories == 1 else 'stories'}"
    else:
        heading = f"newswatch summary: {count} more {noun} (held back by rate limit or quiet hours)"
    return f"{TEST_MARK} {heading}" if batch.test else heading


def _published(alert: Alert, now: datetime) -> str:
    moment = alert.published_at or alert.first_seen_at
    label = "published" if alert.published_at else "first seen"
    return f"{label} {relative_age(_utc(moment), now)} ({absolute_time(moment)})"


# --- the story an alert belongs to (all channels) ---------------------------------------------


def outlets_phrase(count: int) -> str:
    return f"{count} outlet" if count == 1 else f"{count} outlets"


def _outlet(name: str) -> str:
    return cut(one_line(name), OUTLET_LIMIT) or "unknown"


def _other_title(link: StoryLink) -> str:
    return cut(one_line(link.title), OTHER_TITLE_LIMIT) or "(untitled)"


def _more_outlets(count: int) -> str:
    return f"and {count} more {'outlet' if count == 1 else 'outlets'}"


def story_line(story: Story, now: datetime) -> str:
    """The one fact every alert of a story carries: where it started and how wide it is now."""
    return (
        f"First seen {relative_age(_utc(story.first_seen_at), now)} at "
        f"{_outlet(story.first_outlet)} · reported by {outlets_phrase(story.outlet_count)} so far"
    )


def _shows_others(alert: Alert, in_batch: bool) -> Story | None:
    """Links to the others go in updates and digests: a first alert has none worth naming."""
    story = alert.story
    if story is None or not (alert.update or in_batch):
        return None
    return story if story.others or story.more_outlets else None


def _plain_story(alert: Alert, now: datetime, *, in_batch: bool, indent: str = "") -> list[str]:
    if alert.story is None:
        return []
    lines = [indent + story_line(alert.story, now)]
    story = _shows_others(alert, in_batch)
    if story is not None:
        lines.append(f"{indent}Also reported by:")
        for link in story.others:
            url = safe_url(link.url)
            lines.append(f"{indent}  - {_outlet(link.outlet)}: {_other_title(link)}"
                         + (f" {url}" if url else ""))
        if story.more_outlets:
            lines.append(f"{indent}  - {_more_outlets(story.more_outlets)}")
    return lines


# --- Slack -------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters; with them gone, ``<!channel>`` is just text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_fit(text: str, limit: int) -> str:
    """Escape then guarantee ``limit``: cut the raw text until the escaped form fits."""
    escaped = slack_escape(text)
    budget = limit
    while len(escaped) > limit and budget > 1:
        budget = max(1, budget - max(len(escaped) - limit, 1))
        escaped = slack_escape(cut(text, budget))
    return escaped


def slack_link(url: str | None, label: str, limit: int) -> str:
    """``<url|label>`` with both parts neutralised, or the escaped label alone."""
    safe = safe_url(url)
    text = slack_fit(label, limit)
    if safe is None:
        return text
    # percent-encode the characters that would end or split Slack's link syntax; '&' stays a
    # query separator, written as Slack's own escape (Slack decodes it before opening the link)
    href = quote(safe, safe=":/?#[]@!$&'()*+,;=%~-._").replace("&", "&amp;")
    return f"<{href}|{text}>" if len(href) <= SLACK_URL_LIMIT else text


def _slack_date(moment: datetime) -> str:
    """Slack renders ``<!date^...>`` in each reader's own time zone; the fallback is UTC."""
    stamp = int(_utc(moment).timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{absolute_time(moment)}>"


def slack_alert(alert: Alert, now: datetime) -> dict[str, Any]:
    """Block Kit message with a plain ``text`` fallback (notifications, old clients)."""
    moment = alert.published_at or alert.first_seen_at
    label = "Published" if alert.published_at else "First seen"
    title = _title(alert)
    blocks: list[dict[str, Any]] = [
        _section(f"*{slack_link(alert.url, title, SLACK_SECTION_LIMIT - 10)}*"),
        _context(
            f"{slack_fit(one_line(alert.outlet), 200)} · {label} "
            f"{relative_age(_utc(moment), now)} ({_slack_date(moment)})"
        ),
        _context(
            f"Topic: *{slack_fit(one_line(alert.topic_name), 200)}* · score *{alert.score:.2f}*"
        ),
    ]
    if alert.story is not None:
        blocks.append(_context(_slack_story_line(alert.story, now)))
        story = _shows_others(alert, in_batch=False)
        if story is not None:
            blocks.append(_section(_slack_also(story, SLACK_SECTION_LIMIT, compact=False)))
    why = _why_mrkdwn(alert)
    if why:
        blocks.append(_section(why))
    passage = _passage(alert)
    if passage:
        text, source = passage
        blocks.append(
            _context(slack_fit(f"Nearest reference ({source}): “{text}”", SLACK_CONTEXT_LIMIT))
        )
    links = feedback_links(alert)
    if links:
        blocks.append(_context("Was this relevant? " + " · ".join(
            slack_link(url, text, 40) for text, url in links)))
    if alert.test:
        blocks.append(_context("This is a test message from `newswatch notify test`."))
    fallback = f"{title} ({alert.topic_name}, score {alert.score:.2f}) {alert.outlet}"
    return {
        "text": slack_fit(fallback, SLACK_TEXT_LIMIT),
        "blocks": blocks[:SLACK_MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _why_mrkdwn(alert: Alert) -> str:
    parts: list[str] = []
    summary = _summary(alert)
    if summary:
        parts.append(f"*Why:* {slack_fit(cut(summary, SUMMARY_LIMIT), SUMMARY_LIMIT * 5)}")
    parts += [f"• {slack_escape(item)}" for item in _evidence(alert)]
    text = "\n".join(parts)
    return text if len(text) <= SLACK_SECTION_LIMIT else cut(text, SLACK_SECTION_LIMIT)


def _slack_story_line(story: Story, now: datetime) -> str:
    return (
        f"First seen {relative_age(_utc(story.first_seen_at), now)} at "
        f"*{slack_fit(one_line(story.first_outlet), OUTLET_LIMIT)}* · reported by "
        f"*{outlets_phrase(story.outlet_count)}* so far"
    )


def _slack_also(story: Story, limit: int, *, compact: bool) -> str:
    """"Also reported by:" with as many of the others' links as fit in ``limit`` characters.

    Compact (digests): one line of outlet-named links; else one bullet per article.
    """
    room = limit - 40  # kept for the "and N more outlets" tail
    text, listed = "*Also reported by:*", 0
    for link in story.others:
        if compact:
            item = slack_link(link.url, one_line(link.outlet), OUTLET_LIMIT)
        else:
            item = (f"• {slack_link(link.url, _other_title(link), OTHER_TITLE_LIMIT)} · "
                    f"{slack_fit(one_line(link.outlet), OUTLET_LIMIT)}")
        candidate = text + (" " if compact and not listed else ", " if compact else "\n") + item
        if len(candidate) > room:
            break
        text, listed = candidate, listed + 1
    more = story.more_outlets + len(story.others) - listed
    if more:
        text += (", " if listed else " ") if compact else "\n"
        text += _more_outlets(more)
    return text


def _slack_entry(entry: StoryEntry, now: datetime) -> str:
    """One digest story: its lead alert's line, where it was first seen, the other outlets."""
    alert = entry.lead
    lines = [
        f"• `{alert.score:.2f}` {slack_link(alert.url, one_line(alert.title), TITLE_LIMIT)}"
        f" · {slack_fit(one_line(alert.outlet), OUTLET_LIMIT)}"
    ]
    if alert.story is not None:
        lines.append(f"      {_slack_story_line(alert.story, now)}")
        story = _shows_others(alert, in_batch=True)
        if story is not None:
            room = SLACK_ENTRY_LIMIT - len("\n".join(lines)) - 7
            lines.append(f"      {_slack_also(story, room, compact=True)}")
    links = feedback_links(alert)
    if links:
        lines.append("      " + " · ".join(slack_link(url, text, 40) for text, url in links))
    return "\n".join(lines)


def slack_batch(batch: Batch, now: datetime) -> dict[str, Any]:
    """One message listing stories by topic (highest score first), inside the block limits."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": cut(batch_heading(batch), SLACK_HEADER_LIMIT)},
        }
    ]
    sections = _slack_sections(batch, now)[: SLACK_MAX_BLOCKS - 2]
    blocks += [_section(text) for text, _ in sections]
    shown = sum(count for _, count in sections)
    if batch.story_count() > shown:
        blocks.append(_context(f"… and {batch.story_count() - shown} more."))
    return {
        "text": slack_fit(batch_heading(batch), SLACK_TEXT_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _slack_sections(batch: Batch, now: datetime) -> list[tuple[str, int]]:
    """Section texts with the number of stories each lists; a topic spills into more sections
    rather than past Slack's 3000 characters (an entry plus its topic line always fits)."""
    sections: list[tuple[str, int]] = []
    listed = 0
    for topic, entries in batch.by_story():
        lines, count = [f"*{slack_fit(one_line(topic), 200)}* ({len(entries)})"], 0
        for entry in entries[: max(DIGEST_ITEMS_SHOWN - listed, 0)]:
            text = _slack_entry(entry, now)
            if count and len("\n".join([*lines, text])) > SLACK_SECTION_LIMIT:
                sections.append(("\n".join(lines), count))
                lines, count = [], 0
            lines.append(text)
            count += 1
            listed += 1
        if count:
            sections.append(("\n".join(lines), count))
    return sections


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:SLACK_SECTION_LIMIT]}}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SLACK_CONTEXT_LIMIT]}]}


def slack(message: Message, now: datetime) -> dict[str, Any]:
    return slack_alert(message, now) if isinstance(message, Alert) else slack_batch(message, now)


# --- e-mail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """Who and how: the sender, recipients and the ids that make headers stable per message."""

    sender: str
    to: Sequence[str]
    message_key: str  # stable per delivery/digest: a resend after a crash keeps its Message-ID
    list_domain: str = "newswatch.local"
    unsubscribe: str | None = None


def email_subject(message: Message) -> str:
    if isinstance(message, Alert):
        subject = f"[newswatch] {one_line(message.topic_name)}: {_title(message)}"
    else:
        subject = f"[newswatch] {batch_heading(message)}"
    return cut(one_line(subject), 200)


def email(message: Message, envelope: Envelope, now: datetime) -> EmailMessage:
    """multipart/alternative: plain text first, HTML second (clients show the last they can)."""
    msg = EmailMessage()
    msg["Subject"] = email_subject(message)  # one_line(): no CR/LF can reach a header
    msg["From"] = envelope.sender
    msg["To"] = ", ".join(str(Address(addr_spec=addr)) for addr in envelope.to)
    msg["Date"] = format_datetime(_utc(now))
    msg["Message-ID"] = f"<{envelope.message_key}@{envelope.list_domain}>"
    list_id = re.sub(r"[^A-Za-z0-9-]", "-", message.subscription_id)
    msg["List-Id"] = f"newswatch {list_id} <{list_id}.{envelope.list_domain}>"
    if envelope.unsubscribe:
        msg["List-Unsubscribe"] = f"<{envelope.unsubscribe}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    if isinstance(message, Alert):
        msg.set_content(plain_alert(message, now))
        msg.add_alternative(html_alert(message, now), subtype="html")
    else:
        msg.set_content(plain_batch(message, now))
        msg.add_alternative(html_batch(message, now), subtype="html")
    return msg


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_link(url: str | None, label: str) -> str:
    safe = safe_url(url)
    return f'<a href="{_h(safe)}">{_h(label)}</a>' if safe else _h(label)


def html_alert(alert: Alert, now: datetime) -> str:
    parts = [
        f"<h2>{_html_link(alert.url, _title(alert))}</h2>",
        f"<p>{_h(one_line(alert.outlet))} · {_h(_published(alert, now))}</p>",
        f"<p>Topic: <b>{_h(alert.topic_name)}</b> · score <b>{alert.score:.2f}</b></p>",
    ]
    if alert.story is not None:
        parts.append(f"<p>{_html_story_line(alert.story, now)}</p>")
        story = _shows_others(alert, in_batch=False)
        if story is not None:
            items = [f"<li>{_html_link(link.url, _other_title(link))} · {_h(_outlet(link.outlet))}"
                     "</li>" for link in story.others]
            if story.more_outlets:
                items.append(f"<li>{_more_outlets(story.more_outlets)}</li>")
            parts.append("<p>Also reported by:</p><ul>" + "".join(items) + "</ul>")
    summary = _summary(alert)
    if summary:
        parts.append(f"<p><b>Why:</b> {_h(cut(summary, SUMMARY_LIMIT))}</p>")
    evidence = _evidence(alert)
    if evidence:
        parts.append("<ul>" + "".join(f"<li>{_h(item)}</li>" for item in evidence) + "</ul>")
    passage = _passage(alert)
    if passage:
        parts.append(
            f"<blockquote>{_h(passage[0])}<br><small>{_h(passage[1])}</small></blockquote>"
        )
    links = feedback_links(alert)
    if links:
        parts.append("<p>Was this relevant? " + " · ".join(
            _html_link(url, text) for text, url in links) + "</p>")
    if alert.test:
        parts.append("<p><i>This is a test message from newswatch.</i></p>")
    return _html_page("\n".join(parts))


def _html_story_line(story: Story, now: datetime) -> str:
    return (
        f"First seen {_h(relative_age(_utc(story.first_seen_at), now))} at "
        f"<b>{_h(_outlet(story.first_outlet))}</b> · reported by "
        f"<b>{outlets_phrase(story.outlet_count)}</b> so far"
    )


def _html_entry(entry: StoryEntry, now: datetime) -> str:
    alert = entry.lead
    html_text = (
        f"<li><b>{alert.score:.2f}</b> "
        f"{_html_link(alert.url, cut(one_line(alert.title), TITLE_LIMIT))}"
        f"<br><small>{_h(_outlet(alert.outlet))} · {_h(_published(alert, now))}</small>"
        + (f"<br>{_h(cut(_summary(alert), 200))}" if _summary(alert) else "")
    )
    if alert.story is not None:
        html_text += f"<br><small>{_html_story_line(alert.story, now)}</small>"
        story = _shows_others(alert, in_batch=True)
        if story is not None:
            links = [_html_link(link.url, _outlet(link.outlet)) for link in story.others]
            if story.more_outlets:
                links.append(_more_outlets(story.more_outlets))
            html_text += "<br><small>Also reported by: " + ", ".join(links) + "</small>"
    verdicts = feedback_links(alert)
    if verdicts:
        html_text += "<br><small>" + " · ".join(_html_link(u, t) for t, u in verdicts) + "</small>"
    return html_text + "</li>"


def html_batch(batch: Batch, now: datetime) -> str:
    parts = [f"<h2>{_h(batch_heading(batch))}</h2>"]
    shown = 0
    for topic, entries in batch.by_story():
        if shown >= DIGEST_ITEMS_SHOWN:
            break
        parts.append(f"<h3>{_h(one_line(topic))} ({len(entries)})</h3><ul>")
        for entry in entries[: DIGEST_ITEMS_SHOWN - shown]:
            shown += 1
            parts.append(_html_entry(entry, now))
        parts.append("</ul>")
    if batch.story_count() > shown:
        parts.append(f"<p>… and {batch.story_count() - shown} more.</p>")
    return _html_page("\n".join(parts))


def _html_page(body: str) -> str:
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{body}\n</body></html>\n'


# --- webhook -----------------------------------------------------------------------------------


def webhook_alert(alert: Alert, now: datetime) -> dict[str, Any]:
    """Schema ``newswatch.alert/v1`` (documented in services/notifier/WEBHOOK.md)."""
    return {
        "schema": WEBHOOK_SCHEMA,
        "test": alert.test,
        "update": alert.update,
        "delivery_id": alert.delivery_id,
        "sent_at": _utc(now).isoformat(),
        "subscription": {"id": alert.subscription_id},
        "article": _article_json(alert),
        "topic": {"id": alert.topic_id, "name": alert.topic_name},
        "score": round(alert.score, 4),
        "explanation": dict(alert.explanation),
        "story": _story_json(alert.story),
    }


def webhook_batch(batch: Batch, now: datetime) -> dict[str, Any]:
    """Schema ``newswatch.batch/v1``: ``items`` as alert/v1 without the envelope keys."""
    return {
        "schema": WEBHOOK_BATCH_SCHEMA,
        "test": batch.test,
        "kind": batch.kind,
        "batch_id": batch.batch_id,
        "sent_at": _utc(now).isoformat(),
        "subscription": {"id": batch.subscription_id},
        "items": [
            {
                "delivery_id": alert.delivery_id,
                "article": _article_json(alert),
                "topic": {"id": alert.topic_id, "name": alert.topic_name},
                "score": round(alert.score, 4),
                "explanation": dict(alert.explanation),
                "story": _story_json(alert.story),
            }
            for _, entries in batch.by_story()
            for entry in entries
            for alert in entry.alerts
        ],
    }


def _story_json(story: Story | None) -> dict[str, Any] | None:
    """Additive to v1; ``others[].url`` is null unless http(s), as in the other channels."""
    if story is None:
        return None
    return {
        "id": story.story_id,
        "first_seen_at": _utc(story.first_seen_at).isoformat(),
        "first_outlet": story.first_outlet,
        "outlet_count": story.outlet_count,
        "article_count": story.article_count,
        "others": [{"outlet": link.outlet, "title": link.title, "url": safe_url(link.url)}
                   for link in story.others],
    }


def _article_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.article_id,
        "title": alert.title,
        "url": alert.url,
        "outlet": alert.outlet,
        "published_at": _utc(alert.published_at).isoformat() if alert.published_at else None,
        "first_seen_at": _utc(alert.first_seen_at).isoformat(),
    }


def webhook(message: Message, now: datetime) -> dict[str, Any]:
    return webhook_alert(message, now) if isinstance(message, Alert) else webhook_batch(message, now)


def plain(message: Message, now: datetime) -> str:
    return plain_alert(message, now) if isinstance(message, Alert) else plain_batch(message, now)
