"""Stopping on SIGTERM or SIGINT, in every phase of a job.

    stop = StopFlag.install()          # first thing in the process: before torch is imported
    with stop.loading():               # imports, config, data, model: nothing worth saving yet
        ...                            # a stop here raises Stopped at once
    while training:
        ...
        if stop.requested: save and end   # a stop here finishes the optimizer step first

While a job loads, there is nothing to save, so waiting for the loading to finish (minutes for a big
pairs file or a 70B model) would only make Stop look broken: the handler raises `Stopped` wherever
the code is (a long C call, such as reading one tensor, finishes first). Once training runs, the
handler only sets the flag, read between optimizer steps, so a stop ends with a checkpoint.

A write that must not be cut in half (an event line, status.json) runs inside `uninterrupted()`: a stop
arriving there is raised when the write is complete.
"""
from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

_depth = 0  # nesting of uninterrupted() blocks in progress
_pending: "StopFlag | None" = None  # a loading-phase stop that arrived inside one


class Stopped(BaseException):
    """A stop while loading. BaseException, like KeyboardInterrupt: no library's `except Exception` swallows it."""


class StopFlag:
    """Set by the signal handler (or a test); read between steps, raised at once while loading."""

    def __init__(self) -> None:
        self.requested = False
        self.reason = "stop requested"
        self._loading = False

    @classmethod
    def install(cls) -> "StopFlag":
        """A flag set by SIGTERM and SIGINT; a second signal ends the process at once (the default handler)."""
        stop = cls()

        def on_signal(signum, frame):  # noqa: ARG001
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            stop.set(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        return stop

    def set(self, reason: str = "stop requested") -> None:
        global _pending
        self.requested, self.reason = True, reason
        if self._loading:
            if _depth:
                _pending = self
            else:
                raise Stopped(reason)

    @contextmanager
    def loading(self) -> Iterator[None]:
        """A phase with nothing to save: a stop (also one that came before it) ends it at once."""
        if self.requested:
            raise Stopped(self.reason)
        self._loading = True
        try:
            yield
        finally:
            self._loading = False


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A write that a stop must not cut in half; a stop that arrives meanwhile is raised after it."""
    global _depth, _pending
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            flag, _pending = _pending, None
            if flag._loading:
                raise Stopped(flag.reason)
