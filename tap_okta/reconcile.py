"""Complete reads: when a directory stream reads everything, and what only they may do.

Incremental reads and the change feed keep tables exact for what Okta logs
one row at a time. What disappears without such an event (the members of a
deleted group, the assignments of a deleted user) is caught by a complete
read: every ``full_sync_interval_days`` (and on a stream's first run), the
stream is read in full, its RECORDs carry one table version, and only then
does it send ACTIVATE_VERSION, which lets targets drop every row the read
did not emit. A run that read only part of a stream never sends it.

The plan lives in the stream's state under ``full_sync`` (``state.FullSync``).
``begin_read`` and ``end_read`` are the tap's one ACTIVATE_VERSION policy: every
stream that may read completely goes through them.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

from tap_okta import sdk_compat
from tap_okta.bookmarks import format_timestamp, parse_timestamp
from tap_okta.state import FULL_SYNC as FULL_SYNC_KEY

if t.TYPE_CHECKING:
    from tap_okta.client import OktaStream


@dataclass(frozen=True)
class ReadPlan:
    complete: bool
    #: The table version of a complete read (milliseconds since the epoch).
    version: int | None = None
    #: A complete read resumed after an interruption.
    resumed: bool = False
    started: str | None = None
    reason: str = ""


def plan_read(
    state: t.Mapping[str, t.Any],
    *,
    now: dt.datetime,
    interval_days: float,
    always_complete: bool = False,
    force: bool = False,
) -> ReadPlan:
    """Decide whether this run reads the stream completely."""
    info = state.get(FULL_SYNC_KEY) or {}
    version = info.get("version")
    if isinstance(version, int) and info.get("started"):
        return ReadPlan(
            True,
            version,
            resumed=True,
            started=str(info["started"]),
            reason="resuming an interrupted complete read",
        )
    last = info.get("last_complete")
    if always_complete:
        reason = "read in full every run"
    elif force:
        reason = "the change feed cannot cover the time since the last run, or is unreadable"
    elif not last:
        reason = "first complete read"
    elif interval_days > 0 and now - parse_timestamp(str(last)) >= dt.timedelta(days=interval_days):
        reason = f"{interval_days:g} days since the last complete read ({last})"
    else:
        return ReadPlan(False)
    return ReadPlan(True, int(now.timestamp() * 1000), started=format_timestamp(now), reason=reason)


def begin(state: dict[str, t.Any], plan: ReadPlan) -> None:
    """Remember a complete read under way, so an interruption resumes it."""
    if plan.complete:
        info = dict(state.get(FULL_SYNC_KEY) or {})
        info.update(version=plan.version, started=plan.started)
        state[FULL_SYNC_KEY] = info


def finish(state: dict[str, t.Any], plan: ReadPlan) -> None:
    """The read ended: a complete one becomes the new reference point."""
    if plan.complete and plan.started:
        state[FULL_SYNC_KEY] = {"last_complete": plan.started}


def begin_read(stream: OktaStream, state: dict[str, t.Any], plan: ReadPlan) -> None:
    """Start a read: a complete one is remembered and stamps its records with its
    table version (when the target asked for ACTIVATE_VERSION)."""
    begin(state, plan)
    wanted = plan.complete and stream.activate_version_wanted
    sdk_compat.set_record_version(stream, plan.version if wanted else None)


def end_read(stream: OktaStream, state: dict[str, t.Any], plan: ReadPlan) -> None:
    """Every record of the read is written: only a complete read sends ACTIVATE_VERSION."""
    finish(state, plan)
    if plan.complete and plan.version and stream.activate_version_wanted and stream.selected:
        sdk_compat.write_activate_version(stream, plan.version)
    sdk_compat.set_record_version(stream, None)
