"""How the console talks to its database: SQLite's connection settings and explicit BEGINs.

SQLite runs in WAL mode with foreign keys on, and every transaction begins with
a BEGIN the console issues itself, so that a writer can ask for BEGIN IMMEDIATE
(console/database/writers.py). PostgreSQL needs nothing here.
"""
from __future__ import annotations

import logging
import sqlite3
import threading

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

# How long an SQLite connection waits for a lock held outside the console's writer turn.
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# The write-ahead log is written back to the database file by the background worker's Checkpointer (below),
# not by whichever request commits when the log passes SQLite's default 1,000 pages: during an import that
# request would be an agent's claim, paying for copying thousands of pages and an fsync. A connection still
# writes the log back itself past this many pages (80 MB), for when no worker runs.
SQLITE_AUTOCHECKPOINT_PAGES = 20_000


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
    cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    """SQLite transactions start DEFERRED unless the caller asked for IMMEDIATE (every writer does)."""
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


class Checkpointer(threading.Thread):
    """SQLite: writes the write-ahead log back to the database file every `interval` seconds, in the background.

    PASSIVE checkpoints wait for nobody: readers and the writer go on while one runs. The background worker
    (`flask worker`) and `flask leads import` run one; on other databases there is nothing to do.
    """

    def __init__(self, engine, interval: float = 0.2):
        super().__init__(name="sqlite-checkpointer", daemon=True)
        self.engine, self.interval = engine, interval
        self._stopping = threading.Event()  # not _stop: Thread has a method of that name

    @classmethod
    def start_for(cls, engine, interval: float = 0.2) -> Checkpointer | None:
        if engine.dialect.name != "sqlite":
            return None
        checkpointer = cls(engine, interval)
        checkpointer.start()
        return checkpointer

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                raw = self.engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    raw.close()
            except Exception:  # noqa: BLE001  (the next round tries again; a connection does it past the limit)
                logging.getLogger(__name__).exception("WAL checkpoint failed")

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
