"""How the console talks to its database: SQLite's connection settings and explicit BEGINs.

SQLite runs in WAL mode with foreign keys on, and every transaction begins with
a BEGIN the console issues itself, so that a writer can ask for BEGIN IMMEDIATE
(console/database/writers.py). PostgreSQL needs nothing here.
"""
from __future__ import annotations

import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

# How long an SQLite connection waits for a lock held outside the console's writer turn.
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def configure(app: Flask) -> None:
    """Engine options the app's database needs, unless the caller set its own."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}})


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """Foreign keys on, WAL for concurrent readers, and explicit BEGINs (see _begin)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    """SQLite transactions start DEFERRED unless the caller asked for IMMEDIATE (every writer does)."""
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
