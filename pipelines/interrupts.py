"""Ctrl-C and SIGTERM end a search, even when a library swallows the KeyboardInterrupt they raise.

A signal raises KeyboardInterrupt at once, and is also remembered: some code
a search runs catches everything (parts of Keras' tracing use a bare
`except:`), and an interrupt raised inside it would be lost and the search
would carry on. The trial recorder checks the remembered signal after each
epoch and raises it again, so a search stops within an epoch however the
first raise went. A signal that comes while the main thread writes to the
tracking store is held until the write is done (`deferred`): raised inside
SQLAlchemy's execution of a statement, it left SQLite's write lock taken by a
half-closed connection, and every later write of the search, marking its runs
KILLED included, waited on the search's own lock.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading

requested: int | None = None  # the signal received, if any
reason: str | None = None  # why the process stopped itself (`stop`), for its last message
_deferring = 0  # depth of `deferred` blocks in the main thread
_held: int | None = None  # a signal that came inside one


def install() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt (SIGTERM so that MLflow runs close as KILLED, as on Ctrl-C)."""

    def handler(signum, frame):
        global requested, _held
        requested = signum
        if _deferring:
            _held = signum
            return
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def deferred():
    """Hold a signal's KeyboardInterrupt until the block is done, then raise it (main thread only: signals are
    handled there). For writes that must not be cut in half."""
    global _deferring, _held
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _deferring += 1
    held = None
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring:  # taken on every way out: a block that raised leaves it to `check` (`requested`)
            held, _held = _held, None
    if held is not None:
        raise KeyboardInterrupt(f"signal {held}")


def check() -> None:
    """Raise the interrupt again if a signal came and its first raise was swallowed."""
    if requested is not None:
        raise KeyboardInterrupt(f"signal {requested}")


def stop(why: str) -> None:
    """Stop this process from another thread as SIGTERM would (its runs close KILLED); `why` is its last word."""
    global reason
    reason = why
    _thread.interrupt_main(signal.SIGTERM)
