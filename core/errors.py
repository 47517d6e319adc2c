"""The one exception base: every refusal the tracker makes derives from TrackerError,
whose message is written for people (what happened, and what to do). The UI's action
runner (ui/actions.py) and the command line (core/cli/main.py) each turn it into what
the user sees in one place."""

from __future__ import annotations


class TrackerError(Exception):
    """A refusal or failure that the person can act on; nothing was written."""

    @property
    def message(self) -> str:
        return str(self)


class UpdateRejected(TrackerError, ValueError):
    """A change to the plan or its progress was refused; nothing was written."""
