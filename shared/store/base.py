"""Store: base (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _insert(conn: Connection, table: Any) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _in(conn: Connection, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:array)``, one parameter.

    An expanded IN list is a statement of its own per length, which SQLAlchemy renders and
    psycopg parses again on every call (its query cache skips long statements): for a
    classify batch that was most of the store's CPU. SQLite keeps the plain IN list."""
    values = list(values)
    if conn.dialect.name == "postgresql":
        array = bindparam(None, values, type_=postgresql.ARRAY(column.type))
        return column == any_(array)  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]


def _insert_rows(
    conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]
) -> tuple[postgresql.Insert | sqlite.Insert, list[Mapping[str, Any]] | None]:
    """The INSERT of ``rows`` (each with the same keys) and the parameters to execute it with.

    PostgreSQL: ``INSERT ... SELECT unnest(:column_array), ...``, one array parameter per
    column and so one short statement whatever the batch size. A multi-row VALUES list (what
    SQLAlchemy sends for a batch with RETURNING) is a new statement per batch, rendered by
    SQLAlchemy and parsed by psycopg every time; that was most of a classify batch's inserts.
    SQLite: the plain INSERT, run with the rows as executemany parameters. On PostgreSQL,
    RETURNING gives the rows in no promised order: callers match them by a column."""
    if conn.dialect.name != "postgresql":
        return sqlite.insert(table), list(rows)
    names = list(rows[0])
    source = select(*[
        func.unnest(bindparam(None, [row[name] for row in rows],
                              type_=postgresql.ARRAY(table.c[name].type))).label(name)
        for name in names
    ])
    return postgresql.insert(table).from_select(names, source), None
