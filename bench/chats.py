"""Chat store lookups as the store grows: one chat by id (with its message count) and the
newest page of its messages, in a store of many chats and messages.

    .venv/bin/python bench/chats.py [--chats 20000] [--messages 1000000]

The rows are written straight into a real DuckDB file (checkpointed, as data at rest), then
50 chats spread through it are read through ``ChatRecords``, the code the chat API uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tracechat.store.conversations import ChatRecords
from tracechat.store.duck import DuckDBStore


def fill(store: DuckDBStore, chats: int, messages: int) -> None:
    cursor = store.cursor()
    cursor.execute(
        "INSERT INTO chats SELECT 'c' || i, 'p', 'u', 'a', 'chat ' || i, [], now(), now(), NULL, NULL, $per"
        " FROM range($chats) t(i)",
        {"chats": chats, "per": messages // chats},
    )
    cursor.execute(
        "INSERT INTO chat_messages SELECT nextval('chat_message_ids'), 'c' || (i % $chats), 'user',"
        " 'message ' || i, NULL, NULL, NULL, now() FROM range($messages) t(i)",
        {"chats": chats, "messages": messages},
    )
    store.checkpoint()


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = DuckDBStore(Path(scratch) / "tracechat.duckdb")
        fill(store, args.chats, args.messages)
        records = ChatRecords(store)
        lookups, pages = [], []
        for n in range(50):
            chat_id = f"c{n * (args.chats // 50)}"
            started = time.perf_counter()
            found = records.get("p", chat_id)
            looked_up = time.perf_counter()
            records.messages(chat_id, limit=50)
            pages.append(time.perf_counter() - looked_up)
            lookups.append(looked_up - started)
            assert found is not None
        store.close()
    report = {**vars(args), "chat_lookup_p50_ms": median_ms(lookups), "messages_page_p50_ms": median_ms(pages)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
