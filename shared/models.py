"""The database schema (SQLAlchemy Core). Alembic migrations in shared/migrations build it.

Uniqueness carries the product's promises: an article is stored once per (feed, identity);
a score once per (article, topic); a delivery once per (subscription, article); a reader's
feedback label once per (article, topic).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names so migrations are the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only
UTC = DateTime(timezone=True)

# --- feeds & articles (fetcher) -------------------------------------------------------------

feeds = Table(
    "feeds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),  # as written in config: the key
    Column("fetch_url", Text, nullable=False),  # after permanent redirects
    Column("name", Text),
    Column("title", Text),  # as the feed calls itself
    Column("enabled", Boolean, nullable=False, default=True),  # False: removed from config
    Column("disabled_reason", Text),  # e.g. 410 Gone
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("last_error_kind", String(32)),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_polled_at", UTC),
    Column("last_success_at", UTC),
    Column("next_poll_at", UTC),
    Column("items_per_day", Float),
    Column("poll_interval", Float),  # seconds, from config `interval`: overrides the estimate
    Column("allow_private", Boolean, nullable=False, default=False),  # from config
    Column("last_warning", Text),  # a bozo feed that still parsed: what was wrong
    Column("created_at", UTC, nullable=False),
    Index("ix_feeds_next_poll_at", "enabled", "next_poll_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("feed_id", Id, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("identity", String(512), nullable=False),
    Column("guid", Text),
    Column("url", Text),
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("author", Text),
    Column("language", String(32)),
    Column("published_at", UTC),
    Column("first_seen_at", UTC, nullable=False),
    Column("updated_at", UTC),
    Column("content_hash", String(64), nullable=False),
    Column("story_id", Id, ForeignKey("stories.id", ondelete="SET NULL")),
    UniqueConstraint("feed_id", "identity", name="uq_articles_feed_identity"),
    Index("ix_articles_first_seen_at", "first_seen_at"),
    Index("ix_articles_story_id", "story_id"),
)

# --- scores & stories (classifier) ----------------------------------------------------------

scores = Table(
    "scores",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("topic_id", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("explanation", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),  # what was scored
    Column("scored_at", UTC, nullable=False),
    UniqueConstraint("article_id", "topic_id", name="uq_scores_article_topic"),
    Index("ix_scores_topic_score", "topic_id", "score"),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("first_article_id", Id, nullable=False),
    Column("first_seen_at", UTC, nullable=False),
    Column("last_seen_at", UTC, nullable=False),
    Column("article_count", Integer, nullable=False, default=1),
    Column("outlet_count", Integer, nullable=False, default=1),
    Index("ix_stories_last_seen_at", "last_seen_at"),
)

# Membership in assignment order: ``seq`` lets every classifier worker catch its in-memory
# story index up with what the others assigned (services/classifier/stories.py).
story_members = Table(
    "story_members",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("story_id", Id, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("outlet", Text, nullable=False),
    Column("reason", String(16), nullable=False),  # new | exact_link | syndicated | same_event
    Column("matched_article_id", Id),
    Column("similarity", Float, nullable=False, default=0.0),
    Column("seen_at", UTC, nullable=False),  # published or first seen: the window clock
    Index("ix_story_members_story_id", "story_id"),
    Index("ix_story_members_seen_at", "seen_at"),
)

# One alert per (subscription, story), and the state that allows at most a few updates.
story_alerts = Table(
    "story_alerts",
    metadata,
    Column("subscription_id", String(128), primary_key=True),
    Column("story_id", Id, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column("outlet_count", Integer, nullable=False),  # outlets when last alerted/updated
    Column("score", Float, nullable=False),  # best score alerted so far
    Column("updates", Integer, nullable=False, default=0),
    Column("alerted_at", UTC, nullable=False),
    Column("last_update_at", UTC),
)

# One reader's verdict on an alert (or any scored article) for a topic: the latest label per
# (article, topic) wins, so a reader who changes their mind corrects it rather than adds noise.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("topic_id", String(64), nullable=False),
    Column("label", String(16), nullable=False),  # relevant | not-relevant
    Column("source", String(8), nullable=False),  # cli | link | web
    Column("created_at", UTC, nullable=False),
    UniqueConstraint("article_id", "topic_id", name="uq_feedback_article_topic"),
    Index("ix_feedback_topic_id", "topic_id", "created_at"),
)

# --- deliveries (notifier) ------------------------------------------------------------------

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription_id", String(128), nullable=False),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("topic_id", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("story_id", Id),
    Column("kind", String(16), nullable=False, default="alert"),  # alert | update
    Column("channel", String(16), nullable=False),
    Column("mode", String(16), nullable=False, default="instant"),  # instant | digest
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),  # sends tried (holds do not count)
    Column("next_attempt_at", UTC),
    Column("lease_until", UTC),
    Column("claim_token", String(32)),  # who holds the 'sending' lease; finishing checks it
    Column("enqueued_at", UTC),  # last (re-)enqueue by tick: stops duplicate queue entries
    Column("first_attempt_at", UTC),  # start of the retry budget (reset by a manual retry)
    Column("hold_reason", String(16)),  # quiet_hours | rate, while status is 'held'
    Column("last_status", String(64)),  # last HTTP status / SMTP reply
    Column("last_error", Text),
    Column("digest_id", Id),
    Column("created_at", UTC, nullable=False),
    Column("sent_at", UTC),
    UniqueConstraint("subscription_id", "article_id", name="uq_deliveries_subscription_article"),
    Index("ix_deliveries_status", "status", "next_attempt_at"),
    Index("ix_deliveries_subscription_sent", "subscription_id", "sent_at"),
    Index("ix_deliveries_digest_id", "digest_id"),
)

# One message carrying several deliveries: a scheduled digest, or the summary that folds what
# max_per_hour or quiet hours held back. Same lease/retry columns as deliveries.
digests = Table(
    "digests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),  # digest | summary
    Column("slot", String(64), nullable=False),  # schedule slot or held-batch key: fires once
    Column("status", String(16), nullable=False),  # pending|sending|sent|retry|failed|empty
    Column("item_count", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTC),
    Column("lease_until", UTC),
    Column("claim_token", String(32)),
    Column("enqueued_at", UTC),
    Column("first_attempt_at", UTC),
    Column("last_status", String(64)),
    Column("last_error", Text),
    Column("created_at", UTC, nullable=False),
    Column("sent_at", UTC),
    UniqueConstraint("subscription_id", "slot", name="uq_digests_subscription_slot"),
    Index("ix_digests_status", "status", "next_attempt_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Id, ForeignKey("deliveries.id", ondelete="CASCADE")),
    Column("digest_id", Id),
    Column("at", UTC, nullable=False),
    Column("outcome", String(16), nullable=False),  # sent | transient | permanent | lost
    Column("status", String(64)),  # HTTP status or SMTP reply code
    Column("detail", Text),  # error text, secrets redacted
    Column("duration_ms", Integer),
    Index("ix_delivery_attempts_delivery_id", "delivery_id"),
    Index("ix_delivery_attempts_digest_id", "digest_id"),
)
