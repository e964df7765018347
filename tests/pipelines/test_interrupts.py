"""A Ctrl-C whose KeyboardInterrupt some library swallows is raised again at the next check."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pipelines import interrupts


def test_a_swallowed_interrupt_is_raised_again_at_the_next_check():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    interrupts.install()
    try:
        interrupts.check()  # no signal yet: nothing happens
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except:  # noqa: E722  (what a library that catches everything does)
            pass
        with pytest.raises(KeyboardInterrupt, match="signal 2"):
            interrupts.check()
    finally:
        interrupts.requested = None
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])
