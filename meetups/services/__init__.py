"""Writes for meetups. Views, Huey tasks and commands call these; nothing else writes.

Callers have already asked `groups.permissions` whether the member may act. Every service does
its whole job in one transaction; notifications go through `notifications.services.notify`
(bulk rows, pushes and emails after commit).

One module per sub-domain; this package names them all, so callers write
`from meetups import services` and `services.rsvp_set(...)`:

- `series`: scheduling (series, their occurrences, one-offs) and changes to one meetup;
- `rsvp`: going / not sure / can't make it, and the waiting list;
- `register`: the register, walk-ins, self check-in, closing and reopening;
- `prefs`: members' choices (nudges on or off, calendar links, their answer to a nudge);
- `jobs`: the periodic jobs (reminders, nudges), set-based and exactly-once;
- `common`: what several of them share (telling people going, a meetup's link and lock).
"""

from .common import absolute, occurrence_url
from .jobs import JobResult, nudges_send, reminders_send, run_jobs
from .prefs import calendar_feed_for, group_feed_for, nudge_reply, prefs_set
from .register import (
    AUTO_CLOSE_AFTER,
    CHECKIN_EARLY,
    CHECKIN_LATE,
    REGISTER_OPENS_BEFORE,
    REOPEN_WITHIN,
    attendance_mark,
    attendance_unmark,
    can_reopen,
    checkin_open,
    register_close,
    register_reopen,
    register_save,
    registers_autoclose,
    self_check_in,
    walk_in_add,
    walk_in_remove,
)
from .rsvp import going_count, rsvp_set
from .series import (
    SERIES_EDITABLE,
    WEEKS_AHEAD,
    Place,
    local_to_utc,
    occurrence_cancel,
    occurrence_move,
    occurrence_set_note,
    occurrences_extend,
    one_off_create,
    series_create,
    series_slots,
    series_update,
)

__all__ = [
    "AUTO_CLOSE_AFTER",
    "CHECKIN_EARLY",
    "CHECKIN_LATE",
    "REGISTER_OPENS_BEFORE",
    "REOPEN_WITHIN",
    "SERIES_EDITABLE",
    "WEEKS_AHEAD",
    "JobResult",
    "Place",
    "absolute",
    "attendance_mark",
    "attendance_unmark",
    "calendar_feed_for",
    "can_reopen",
    "checkin_open",
    "going_count",
    "group_feed_for",
    "local_to_utc",
    "nudge_reply",
    "nudges_send",
    "occurrence_cancel",
    "occurrence_move",
    "occurrence_set_note",
    "occurrence_url",
    "occurrences_extend",
    "one_off_create",
    "prefs_set",
    "register_close",
    "register_reopen",
    "register_save",
    "registers_autoclose",
    "reminders_send",
    "rsvp_set",
    "run_jobs",
    "self_check_in",
    "series_create",
    "series_slots",
    "series_update",
    "walk_in_add",
    "walk_in_remove",
]
