"""A run's time cap (``max_run_seconds``): bounded runs that resume.

A scheduled run should end before the next one is due, whatever is left to
read (a 90-day System Log backfill, a first complete read of a large org).
Once the cap is reached, streams that can resume stop at a page boundary,
after the page's records are written: ``users`` (sorted, bookmarked page by
page), ``logs`` (Okta's next link), and the per-parent complete reads
(``DirectoryStream.each_parent``: group_members, app_users, app_groups,
group_roles, user_factors), after the last group, app or user they finished.
Their state says where the next run goes on; streams not yet started wait for
the next run. The run still exits 0 and ends with one line saying what remains.
"""

from __future__ import annotations

import logging
import time
import typing as t

logger = logging.getLogger("tap-okta")


class RunCapReached(Exception):
    """A wait (for a rate-limit window) would end past ``max_run_seconds``: the read
    stops now, before the page it waited for, as at a page boundary."""


class RunBudget:
    """The run's deadline, and what was left for the next run."""

    def __init__(self, seconds: float, clock: t.Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds if seconds > 0 else None
        #: Stream name -> where it stops (what the next run goes on with).
        self.remaining: dict[str, str] = {}

    @property
    def expired(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline

    def seconds_left(self) -> float | None:
        """Seconds until the cap (None: no cap)."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def stop(self, stream: str, where: str) -> None:
        """``stream`` stopped early; ``where`` says what its next run reads."""
        if stream not in self.remaining:
            logger.info("Stream '%s': max_run_seconds reached; %s.", stream, where)
        self.remaining[stream] = where

    def summary(self) -> str | None:
        """The run's last line when the cap cut it short."""
        if not self.remaining:
            return None
        parts = "; ".join(f"{name}: {where}" for name, where in self.remaining.items())
        return (
            f"Stopped after max_run_seconds={self.seconds:g}, state saved. The next run goes "
            f"on with what remains ({parts})."
        )
