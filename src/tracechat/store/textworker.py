"""The search indexer's worker process: reads the text of committed batches
(``store.texts``) off the server's GIL.

``TextWorker`` runs ``python -m tracechat.store.textworker`` and talks to it over its
standard input and output, one request at a time: a batch's rows in, its texts out (pickled,
between two processes of this program). A program's own process, not a ``multiprocessing``
one: those import the starting program's main module again, which runs any script that is
not guarded by ``if __name__ == "__main__"``. The worker exits when its input closes, so it
ends with the server however the server ends, SIGKILL included.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from typing import IO, Any

from tracechat.store.texts import IndexedText, NewTexts, Rows

_LENGTH = struct.Struct("<Q")
NICENESS = 10
"""The worker runs at a lower priority than the server: where both want a core, the
threads decoding requests and the writer get it."""


class WorkerFailed(RuntimeError):
    """The worker could not read a batch's text (it died, or reading raised)."""


class TextWorker:
    """The worker process, seen from the server; for one calling thread at a time. It
    remembers which text it handed out (``NewTexts``) until it is stopped."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None

    def texts(self, span_rows: Rows, log_rows: Rows) -> list[IndexedText]:
        requests, answers = _pipes(self._running())
        try:
            _send(requests, (span_rows, log_rows))
            ok, value = _receive(answers)
        except (OSError, EOFError) as exc:
            self.stop()
            raise WorkerFailed(f"the search indexer's worker process stopped: {exc!r}") from exc
        if not ok:
            raise WorkerFailed(str(value))
        texts: list[IndexedText] = value
        return texts

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        requests, answers = _pipes(process)
        requests.close()  # the worker's signal to exit
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        answers.close()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        return self._process


def _pipes(process: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    if process.stdin is None or process.stdout is None:
        raise WorkerFailed("the worker process has no pipes")
    return process.stdin, process.stdout


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    (length,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    return pickle.loads(_read_exactly(stream, length))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other process closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> None:
    os.nice(NICENESS)
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # anything printed goes to the server's log, not into the answers
    reader = NewTexts()
    while True:
        try:
            span_rows, log_rows = _receive(requests)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, reader.of_batch(span_rows, log_rows))
        except Exception as exc:  # told to the server, which logs it and retries
            answer = (False, f"reading the text of a batch failed: {exc!r}")
        _send(answers, answer)


if __name__ == "__main__":
    main()
