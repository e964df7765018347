"""Ctrl-C and SIGTERM end a search, even when a library swallows the KeyboardInterrupt they raise.

A signal raises KeyboardInterrupt at once, and is also remembered: some code
a search runs catches everything (parts of Keras' tracing use a bare
`except:`), and an interrupt raised inside it would be lost and the search
would carry on. The trial recorder checks the remembered signal after each
epoch and raises it again, so a search stops within an epoch however the
first raise went.
"""

from __future__ import annotations

import _thread
import signal

requested: int | None = None  # the signal received, if any
reason: str | None = None  # why the process stopped itself (`stop`), for its last message


def install() -> None:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt (SIGTERM so that MLflow runs close as KILLED, as on Ctrl-C)."""

    def handler(signum, frame):
        global requested
        requested = signum
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def check() -> None:
    """Raise the interrupt again if a signal came and its first raise was swallowed."""
    if requested is not None:
        raise KeyboardInterrupt(f"signal {requested}")


def stop(why: str) -> None:
    """Stop this process from another thread as SIGTERM would (its runs close KILLED); `why` is its last word."""
    global reason
    reason = why
    _thread.interrupt_main(signal.SIGTERM)
