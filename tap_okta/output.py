"""Singer messages on stdout, encoded by msgspec (the SDK's ``contrib`` writer).

The SDK's default writer encodes with simplejson, which is most of the cost of a
record once it is read; msgspec writes the same JSON values several times faster.
Two differences are smoothed over, so the output keeps what the default writer
wrote:

- ``time_extracted`` (a datetime) is written with ``isoformat()`` as the SDK's
  writer does (msgspec's own form ends in ``Z`` instead of ``+00:00``);
- a message msgspec cannot encode (a string with a lone surrogate, which UTF-8
  cannot carry) goes out through the SDK's default writer, ASCII-escaped.

Records are not written one system call each (the SDK's writer flushes after every
message, and with ``PYTHONUNBUFFERED`` set stdout has no buffer at all): they gather
in the writer, up to ``PENDING_BYTES``, and every other message (SCHEMA, STATE,
ACTIVATE_VERSION) writes out what came before it. A STATE therefore never reaches
the target ahead of the records it covers, and the records still pending are past
the last STATE: a process killed outright loses only what a re-run from that STATE
reads again. Every stream that wrote a record ends with a STATE (the SDK marks its
state unwritten with each record and writes it once the stream is read), so a
caller reading stdout as ``sync_all`` returns has every record; what a run stopped
by an error leaves pending goes out at interpreter exit.

Non-ASCII text is written as UTF-8 rather than ``\\u`` escapes: the same strings
to any JSON reader. Values no JSON decoder makes (datetimes, dates, bytes) are written
in msgspec's forms; the tap's records hold none (the SDK's conformance turns them
into strings where the schema names them).

On SIGTERM or SIGINT the SDK writes a last STATE from the signal handler, which
Python runs in the main thread wherever it was, also in the middle of a write to
stdout: that STATE would cut a line in two, or fail to join the pending bytes and
be lost. ``when_idle`` runs such an action at once, or right after the write under
way. A write that does not end is a target that reads nothing: a second signal then
stops the run at once, without a last STATE (it could not be delivered either).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import typing as t
import weakref

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.encoding import SimpleSingerWriter
from typing_extensions import override

from tap_okta.errors import OktaTapError

if t.TYPE_CHECKING:
    from singer_sdk.singerlib.encoding.simple import Message


# Some dozens of records: few system calls, and little held back from the target.
PENDING_BYTES = 64 * 1024

_writers: weakref.WeakSet[OktaMessageWriter] = weakref.WeakSet()


STDOUT_CLOSED = (
    "The Singer output (stdout) was closed before the run ended: the target stopped "
    "reading, and its own log says why. Re-run from the last state once it is fixed."
)


STOPPED_WHILE_BLOCKED = (
    "Stopped by a second signal while the target was not reading the Singer output "
    "(stdout), so no last STATE was written. Re-run from the last state the target saved."
)


class OutputClosedError(OktaTapError):
    """Nobody reads the tap's stdout any more (the target exited)."""


class StoppedWhileBlockedError(OktaTapError):
    """Told to stop twice while a write to stdout had not ended."""


@atexit.register
def _flush_writers() -> None:
    try:
        for writer in list(_writers):
            writer.flush()
    except (OktaTapError, OSError, ValueError) as exc:  # stdout gone, or closed
        # Records no STATE covers were not delivered: not a clean exit, and no
        # traceback from an exit handler.
        message = exc.message if isinstance(exc, OktaTapError) else STDOUT_CLOSED
        logging.getLogger("tap-okta").error("%s", message)
        logging.shutdown()
        os._exit(1)


def _stdout_to_devnull() -> None:
    # Python flushes stdout again at exit: into a closed pipe, that would print a
    # traceback after the one line that says what happened.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (a test's buffer): nothing flushes it at exit


class OktaMessageWriter(MsgSpecWriter):
    """msgspec's writer; the SDK's default one for what msgspec cannot encode."""

    _fallback = SimpleSingerWriter()

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._writing = False
        self._after_write: t.Callable[[], None] | None = None
        _writers.add(self)

    def when_idle(self, action: t.Callable[[], None]) -> None:
        """Run ``action`` now, or, from a signal handler that interrupted a write, after it.

        A second one during the same write stops the run: that write is not ending.
        """
        if not self._writing:
            action()
        elif self._after_write is None:
            self._after_write = action
        else:
            self._after_write = None
            _stdout_to_devnull()  # what follows (an error's STATE, the exit flush) must not block
            raise StoppedWhileBlockedError(STOPPED_WHILE_BLOCKED)

    @override
    def serialize_message(self, message: Message) -> bytearray:
        data = message.to_dict()
        extracted = data.get("time_extracted")
        if extracted is not None:
            data["time_extracted"] = extracted.isoformat(sep="T")
        try:
            return serialize_jsonl(data)
        except UnicodeEncodeError:
            return bytearray(self._fallback.serialize_message(message) + "\n", "utf-8")

    @override
    def write_message(self, message: Message) -> None:
        self._pending += self.format_message(message)
        if len(self._pending) >= PENDING_BYTES or not isinstance(message, RecordMessage):
            self.flush()

    def flush(self) -> None:
        """Write out the pending messages, all of them."""
        if not self._pending:
            return
        out = sys.stdout.buffer
        self._writing = True
        view = memoryview(self._pending)
        try:
            while view:
                # An unbuffered stdout is a raw file: one write may take only part.
                view = view[out.write(view) or 0 :]
            sys.stdout.flush()
        except BrokenPipeError as exc:
            _stdout_to_devnull()
            raise OutputClosedError(STDOUT_CLOSED) from exc
        finally:
            view.release()
            self._pending.clear()  # written, or lost with a closed stdout: never twice
            self._writing = False
        action, self._after_write = self._after_write, None
        if action is not None:
            action()
