"""Personal one-tap links in reminder and nudge emails.

A token is signed with Django's signing (salted per purpose, so an RSVP token never works as
a nudge reply and the reverse) and carries the member, the meetup and the answer. Tokens
expire. Opening the link never changes anything (mail scanners fetch links): it shows a
page with one big button, and the answer is saved on POST from that page, without logging in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.utils.translation import gettext as _

from core.urls import absolute_reverse


class Purpose(enum.StrEnum):
    RSVP = "rsvp"
    NUDGE = "nudge"


SALTS = {
    Purpose.RSVP: "village.meetups.one-tap.rsvp",
    Purpose.NUDGE: "village.meetups.one-tap.nudge",
}
MAX_AGE = {
    Purpose.RSVP: timedelta(days=14),  # a reminder is at most a day before; the meetup passes
    Purpose.NUDGE: timedelta(days=14),
}
ANSWERS = {
    Purpose.RSVP: ("going", "maybe", "no"),
    Purpose.NUDGE: ("ok", "contact"),
}
URL_NAMES = {Purpose.RSVP: "meetups_site:rsvp_token", Purpose.NUDGE: "meetups_site:nudge_token"}


@dataclass(frozen=True)
class OneTap:
    purpose: Purpose
    user_id: int
    occurrence_id: int
    answer: str


class BadToken(Exception):
    """The link is not ours, was changed, or is for something else."""

    def __init__(self, occurrence_id: int | None = None):
        super().__init__("bad one-tap link")
        self.occurrence_id = occurrence_id


class ExpiredToken(BadToken):
    """The link was ours but is too old."""


def make(purpose: Purpose, *, user_id: int, occurrence_id: int, answer: str) -> str:
    if answer not in ANSWERS[purpose]:
        raise ValueError(f"unknown answer {answer!r} for {purpose}")
    return signing.dumps({"u": user_id, "o": occurrence_id, "a": answer}, salt=SALTS[purpose])


def url(purpose: Purpose, *, user_id: int, occurrence_id: int, answer: str) -> str:
    token = make(purpose, user_id=user_id, occurrence_id=occurrence_id, answer=answer)
    return absolute_reverse(URL_NAMES[purpose], token)


def _parse(purpose: Purpose, data) -> OneTap:
    try:
        tap = OneTap(purpose, int(data["u"]), int(data["o"]), str(data["a"]))
    except (KeyError, TypeError, ValueError):
        raise BadToken() from None
    if tap.answer not in ANSWERS[purpose]:
        raise BadToken(tap.occurrence_id)
    return tap


def read(purpose: Purpose, token: str) -> OneTap:
    """The link's contents, or BadToken / ExpiredToken."""
    try:
        data = signing.loads(token, salt=SALTS[purpose], max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        # Genuine but old: say which meetup, so the kind page can offer to log in to it.
        try:
            old = _parse(purpose, signing.loads(token, salt=SALTS[purpose]))
        except (BadToken, signing.BadSignature):
            raise ExpiredToken() from None
        raise ExpiredToken(old.occurrence_id) from None
    except signing.BadSignature:
        raise BadToken() from None
    return _parse(purpose, data)


# --- the links in emails (built in the email task; see notifications.links) ---------------

RSVP_LABELS = (("going", "Going"), ("maybe", "Not sure"), ("no", "Can't make it"))
NUDGE_LABELS = (
    ("ok", "I'm OK, see you next time"),
    ("contact", "I'd like someone to get in touch"),
)


def _email_links(purpose: Purpose, labels, note) -> list[tuple[str, str]]:
    occurrence_id = note.data.get("occurrence")
    if not occurrence_id:
        return []
    return [
        (label, url(purpose, user_id=note.user_id, occurrence_id=occurrence_id, answer=answer))
        for answer, label in labels
    ]


def reminder_email_links(note) -> list[tuple[str, str]]:
    """Someone going gets one link, to say they can't come after all; others get all three."""
    if note.data.get("going"):
        return _email_links(Purpose.RSVP, (("no", _("Can't make it now?")),), note)
    return _email_links(Purpose.RSVP, RSVP_LABELS, note)


def nudge_email_links(note) -> list[tuple[str, str]]:
    return _email_links(Purpose.NUDGE, NUDGE_LABELS, note)


# --- the buttons on a web push (notifications.links; phones show at most two) -------------


def _push_actions(purpose: Purpose, answers, note) -> list[tuple[str, str, str]]:
    occurrence_id = note.data.get("occurrence")
    if not occurrence_id:
        return []
    user_id = note.user_id
    return [
        (answer, label, url(purpose, user_id=user_id, occurrence_id=occurrence_id, answer=answer))
        for answer, label in answers
    ]


def reminder_push_actions(note) -> list[tuple[str, str, str]]:
    """"Going" / "Can't make it"; someone already going only gets "Can't make it"."""
    if note.data.get("going"):
        return _push_actions(Purpose.RSVP, (("no", _("Can't make it")),), note)
    return _push_actions(Purpose.RSVP, (("going", _("Going")), ("no", _("Can't make it"))), note)


def nudge_push_actions(note) -> list[tuple[str, str, str]]:
    return _push_actions(
        Purpose.NUDGE, (("ok", _("I'm OK")), ("contact", _("Please get in touch"))), note
    )
