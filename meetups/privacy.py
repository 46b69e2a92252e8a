"""A member's own meetup data: export it, erase it."""

from __future__ import annotations

from .models import Attendance, CalendarFeed, MeetupPrefs, NudgeReply, Rsvp


def export(user) -> dict:
    return {
        "rsvps": [
            {
                "meetup": r.occurrence.title,
                "group": r.occurrence.group.name,
                "starts_at": r.occurrence.starts_at.isoformat(),
                "answer": r.answer,
                "message": r.message,
                "waiting_list_position": r.waitlist_position,
            }
            for r in Rsvp.objects.filter(user=user).select_related("occurrence__group")
        ],
        "attendance": [
            {
                "meetup": a.occurrence.title,
                "group": a.occurrence.group.name,
                "starts_at": a.occurrence.starts_at.isoformat(),
                "how": a.source,
            }
            for a in Attendance.objects.filter(user=user).select_related("occurrence__group")
        ],
        "nudge_replies": [
            {"starts_at": n.occurrence.starts_at.isoformat(), "reply": n.choice}
            for n in NudgeReply.objects.filter(user=user).select_related("occurrence")
        ],
        "settings": [
            {"group": p.group.name, "we_missed_you_messages": p.nudges}
            for p in MeetupPrefs.objects.filter(user=user).select_related("group")
        ],
    }


def erase(user) -> None:
    Rsvp.objects.filter(user=user).delete()
    Attendance.objects.filter(user=user).delete()
    NudgeReply.objects.filter(user=user).delete()
    MeetupPrefs.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
