"""Writing many rows at once, in the caller's transaction, without the ORM's or Core's work per row.

For the bulk paths only (an import writes a million leads): `insert_rows` hands plain tuples to the driver,
SQLite's executemany or PostgreSQL's COPY, converting the few value types the drivers take differently
(datetimes as SQLAlchemy stores them on SQLite, JSON as text). Rows must already be what the columns hold:
nothing is validated here.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

# How SQLAlchemy's DateTime stores a value on SQLite (read back by it as the same datetime).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def insert_rows(connection, table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (tuples in `columns` order) into `table` on the SQLAlchemy `connection`, in its transaction."""
    json_columns = {index for index, name in enumerate(columns)
                    if type(table.c[name].type).__name__ in ("JSON", "JSONB")}
    driver = connection.connection.driver_connection
    quote = connection.dialect.identifier_preparer.quote  # "values" is a keyword, for one
    names = ", ".join(quote(name) for name in columns)
    if connection.dialect.name == "sqlite":
        converters = {index: _json_text for index in json_columns}
        converters.update({index: _sqlite_datetime() for index, name in enumerate(columns)
                           if _is_datetime(table.c[name].type)})
        prepared = rows if not converters else (
            tuple(converters[index](value) if index in converters else value for index, value in enumerate(row))
            for row in rows)
        driver.cursor().executemany(
            f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", prepared)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            if json_columns:
                row = tuple(_json_text(value) if index in json_columns else value for index, value in enumerate(row))
            copy.write_row(row)


def _json_text(value):
    if value is None:
        return None
    if not value and isinstance(value, dict):
        return "{}"
    return json.dumps(value)


def _sqlite_datetime():
    """A converter of datetimes to SQLAlchemy's SQLite text, remembering the last one (a batch's rows share theirs)."""
    last = [None, None]

    def convert(value):
        if value is None or not isinstance(value, datetime):
            return value
        if value is not last[0]:
            last[0], last[1] = value, value.strftime(SQLITE_DATETIME)
        return last[1]

    return convert


def _is_datetime(column_type) -> bool:
    return type(column_type).__name__ == "DateTime"
