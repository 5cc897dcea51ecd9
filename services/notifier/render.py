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
from typing import Any, Literal
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
DIGEST_ITEMS_SHOWN = 40  # beyond this a digest says "and N more"
WEBHOOK_SCHEMA = "newswatch.alert/v1"
WEBHOOK_BATCH_SCHEMA = "newswatch.batch/v1"
TEST_MARK = "[TEST]"
UPDATE_MARK = "Update:"
ELLIPSIS = "…"

BatchKind = Literal["digest", "summary"]


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


def plain_alert(alert: Alert, now: datetime) -> str:
    """The readable plain-text body: e-mail text part, console output, Slack fallback."""
    lines = [_title(alert)]
    url = safe_url(alert.url)
    if url:
        lines.append(url)
    lines.append(f"{alert.outlet} · {_published(alert, now)}")
    lines.append(f"Topic: {alert.topic_name} · score {alert.score:.2f}")
    summary = _summary(alert)
    if summary:
        lines += ["", f"Why: {cut(summary, SUMMARY_LIMIT)}"]
    lines += [f"  - {item}" for item in _evidence(alert)]
    passage = _passage(alert)
    if passage:
        lines.append(f'Nearest reference ({passage[1]}): "{passage[0]}"')
    if alert.test:
        lines += ["", "This is a test message from newswatch (`newswatch notify test`)."]
    return "\n".join(lines)


def plain_batch(batch: Batch, now: datetime) -> str:
    lines = [batch_heading(batch), ""]
    shown = 0
    for topic, alerts in batch.by_topic():
        lines.append(f"== {topic} ({len(alerts)}) ==")
        for alert in alerts:
            if shown >= DIGEST_ITEMS_SHOWN:
                break
            shown += 1
            lines.append(f"* [{alert.score:.2f}] {cut(one_line(alert.title), TITLE_LIMIT)}")
            lines.append(f"  {alert.outlet} · {_published(alert, now)}")
            url = safe_url(alert.url)
            if url:
                lines.append(f"  {url}")
            if _summary(alert):
                lines.append(f"  Why: {cut(_summary(alert), 200)}")
        lines.append("")
    if len(batch.alerts) > shown:
        lines.append(f"… and {len(batch.alerts) - shown} more.")
    return "\n".join(lines).rstrip()


def batch_heading(batch: Batch) -> str:
    count = len(batch.alerts)
    noun = "alert" if count == 1 else "alerts"
    if batch.kind == "digest":
        heading = f"newswatch digest: {count} {noun}"
    else:
        heading = f"newswatch summary: {count} more {noun} (held back by rate limit or quiet hours)"
    return f"{TEST_MARK} {heading}" if batch.test else heading


def _published(alert: Alert, now: datetime) -> str:
    moment = alert.published_at or alert.first_seen_at
    label = "published" if alert.published_at else "first seen"
    return f"{label} {relative_age(_utc(moment), now)} ({absolute_time(moment)})"


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
    # percent-encode the characters that would end or split Slack's link syntax
    href = quote(safe, safe=":/?#[]@!$'()*+,;=%~-._")
    return f"<{href}|{text}>"


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
    why = _why_mrkdwn(alert)
    if why:
        blocks.append(_section(why))
    passage = _passage(alert)
    if passage:
        text, source = passage
        blocks.append(
            _context(slack_fit(f"Nearest reference ({source}): “{text}”", SLACK_CONTEXT_LIMIT))
        )
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


def slack_batch(batch: Batch, now: datetime) -> dict[str, Any]:
    """One message, a section per topic (highest score first), inside the 50-block limit."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": cut(batch_heading(batch), SLACK_HEADER_LIMIT)},
        }
    ]
    shown = 0
    for topic, alerts in batch.by_topic():
        if len(blocks) >= SLACK_MAX_BLOCKS - 2:
            break
        lines = [f"*{slack_fit(topic, 200)}* ({len(alerts)})"]
        for alert in alerts:
            line = (
                f"• `{alert.score:.2f}` {slack_link(alert.url, one_line(alert.title), TITLE_LIMIT)}"
                f" · {slack_fit(one_line(alert.outlet), 100)}"
            )
            if shown >= DIGEST_ITEMS_SHOWN or len("\n".join([*lines, line])) > SLACK_SECTION_LIMIT:
                break
            lines.append(line)
            shown += 1
        blocks.append(_section("\n".join(lines)))
    if len(batch.alerts) > shown:
        blocks.append(_context(f"… and {len(batch.alerts) - shown} more."))
    return {
        "text": slack_fit(batch_heading(batch), SLACK_TEXT_LIMIT),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


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
    if alert.test:
        parts.append("<p><i>This is a test message from newswatch.</i></p>")
    return _html_page("\n".join(parts))


def html_batch(batch: Batch, now: datetime) -> str:
    parts = [f"<h2>{_h(batch_heading(batch))}</h2>"]
    shown = 0
    for topic, alerts in batch.by_topic():
        parts.append(f"<h3>{_h(topic)} ({len(alerts)})</h3><ul>")
        for alert in alerts:
            if shown >= DIGEST_ITEMS_SHOWN:
                break
            shown += 1
            parts.append(
                f"<li><b>{alert.score:.2f}</b> "
                f"{_html_link(alert.url, cut(one_line(alert.title), TITLE_LIMIT))}"
                f"<br><small>{_h(one_line(alert.outlet))} · {_h(_published(alert, now))}</small>"
                + (f"<br>{_h(cut(_summary(alert), 200))}" if _summary(alert) else "")
                + "</li>"
            )
        parts.append("</ul>")
    if len(batch.alerts) > shown:
        parts.append(f"<p>… and {len(batch.alerts) - shown} more.</p>")
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
            }
            for _, alerts in batch.by_topic()
            for alert in alerts
        ],
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
