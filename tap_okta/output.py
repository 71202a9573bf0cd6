"""Singer messages on stdout, encoded by msgspec (the SDK's ``contrib`` writer).

The SDK's default writer encodes with simplejson, which is most of the cost of a
record once it is read; msgspec writes the same JSON values several times faster.
Two differences are smoothed over, so the output keeps what the default writer
wrote:

- ``time_extracted`` (a datetime) is written with ``isoformat()`` as the SDK's
  writer does (msgspec's own form ends in ``Z`` instead of ``+00:00``);
- a message msgspec cannot encode (a string with a lone surrogate, which UTF-8
  cannot carry) goes out through the SDK's default writer, ASCII-escaped.

Non-ASCII text is written as UTF-8 rather than ``\\u`` escapes: the same strings
to any JSON reader. Values no JSON decoder makes (datetimes, dates, bytes) are written
in msgspec's forms; the tap's records hold none (the SDK's conformance turns them
into strings where the schema names them).

Each message is written as it comes, a whole line at a time, as the SDK's writer
does. Two things it leaves out are added:

- Lines go to stdout's raw file, past its buffer, and one write may take only
  part of a line: the rest is written too.
- On SIGTERM or SIGINT the SDK writes a last STATE from its signal handler, which
  Python runs in the main thread wherever it was. A line up to ``PIPE_BUF`` bytes
  goes into a pipe whole or not at all, so no handler can cut it; a longer one is
  written with those two signals held, and the handler runs once it is out.

A target that closes stdout ends the run with one line (``STDOUT_CLOSED``).
"""

from __future__ import annotations

import os
import select
import signal
import sys
import typing as t
from contextlib import nullcontext

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib.encoding import SimpleSingerWriter
from typing_extensions import override

from tap_okta.errors import OktaTapError

if t.TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from singer_sdk.singerlib.encoding.simple import Message


STDOUT_CLOSED = (
    "The Singer output (stdout) was closed before the run ended: the target stopped "
    "reading, and its own log says why. Re-run from the last state once it is fixed."
)

_STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
# Where signals cannot be held (Windows), every line is written as it comes.
_ATOMIC_BYTES = select.PIPE_BUF if hasattr(signal, "pthread_sigmask") else sys.maxsize


class OutputClosedError(OktaTapError):
    """Nobody reads the tap's stdout any more (the target exited)."""


def _stdout_to_devnull() -> None:
    # Python flushes stdout again at exit: into a closed pipe, that would print a
    # traceback after the one line that says what happened (the SIGPIPE note of
    # the ``signal`` module's documentation).
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (a test's buffer): nothing flushes it at exit


class _StopSignalsHeld:
    """SIGTERM and SIGINT wait (in this thread) until the block ends."""

    def __enter__(self) -> None:
        self._before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)

    def __exit__(self, *exc: object) -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, self._before)


class OktaMessageWriter(MsgSpecWriter):
    """msgspec's writer; the SDK's default one for what msgspec cannot encode."""

    _fallback = SimpleSingerWriter()

    @override
    def serialize_message(self, message: Message) -> bytearray:
        data = message.to_dict()
        extracted = data.get("time_extracted")
        if extracted is not None:
            data["time_extracted"] = extracted.isoformat(sep="T")
        try:
            # A copy: the SDK's serialize_jsonl hands out one shared buffer, which a
            # STATE written from a signal handler would resize while this line is
            # being written (BufferError, and no last STATE).
            return serialize_jsonl(data).copy()
        except UnicodeEncodeError:
            return bytearray(self._fallback.serialize_message(message) + "\n", "utf-8")

    @override
    def write_message(self, message: Message) -> None:
        line = self.format_message(message)
        # Past any buffer: the SDK's handler writes its STATE from inside this write,
        # and a buffered writer refuses to be entered twice.
        out = getattr(sys.stdout.buffer, "raw", sys.stdout.buffer)
        held: AbstractContextManager[None] = (
            _StopSignalsHeld() if len(line) > _ATOMIC_BYTES else nullcontext()
        )
        try:
            with held:
                written = out.write(line) or 0
                while written < len(line):  # a raw stdout took part of it
                    written += out.write(memoryview(line)[written:]) or 0
        except BrokenPipeError as exc:
            _stdout_to_devnull()
            raise OutputClosedError(STDOUT_CLOSED) from exc
