"""Commits heard from every node: the trace index's transaction sends the trace ids it
recorded with PostgreSQL's ``NOTIFY`` (delivered when it commits, to every listener), and
each store's listener thread wakes its local watches (``store.commits.CommitFeed``). So a
watch on a query node is woken by a commit made through any receiver.

Notifications sent while a listener is reconnecting (PostgreSQL restarted) are lost: a
watch then wakes at its next commit or its own timeout, as a watch's reader re-reads anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import psycopg

from tracechat.store.commits import CommitFeed

log = logging.getLogger(__name__)

CHANNEL = "tracechat_commits"
_PAYLOAD_IDS = 200
"""Trace ids per notification (33 bytes each with the comma; PostgreSQL caps one at 8000)."""
_RETRY_S = 1.0


def notify(con: psycopg.Connection[tuple[Any, ...]], trace_ids: Iterable[str]) -> None:
    """Queue notifications of ``trace_ids`` in ``con``'s open transaction (sent at its commit)."""
    ids = sorted(set(trace_ids))
    for start in range(0, len(ids), _PAYLOAD_IDS):
        con.execute("SELECT pg_notify(%s, %s)", [CHANNEL, ",".join(ids[start : start + _PAYLOAD_IDS])])


class CommitListener:
    """A thread holding one connection that listens on ``CHANNEL`` and publishes to ``feed``."""

    def __init__(self, uri: str, feed: CommitFeed) -> None:
        self._uri = uri
        self._feed = feed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracechat-commit-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._uri, autocommit=True, connect_timeout=5) as con:
                    con.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in con.notifies(timeout=0.5):
                            if self._feed.watched:
                                self._feed.publish(note.payload.split(","))
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("commit listener: %s; listening again in %.0f s", exc, _RETRY_S)
                    self._stop.wait(_RETRY_S)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
