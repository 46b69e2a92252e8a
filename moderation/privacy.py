"""Personal data held by moderation, for accounts.privacy.

Export: the member's own reports and concerns (reason, note, when), complaints and appeals, and
the decisions made about them (kind, reason, when). Never who reported them. Not the private
case notes moderators keep on a safeguarding item, nor its supportive closes: they are about the
member but are a safeguarding record (docs/safeguarding.md). A moderator's own notes stay on
the item when they delete their account, shown as written by a former moderator.

Erase (inside account deletion): the member's reports are kept (a moderator may still need to
act on what was reported) but the link to the reporter is dropped; their complaints and appeals
keep their outcome but lose the link and their free text. The audit log keeps its rows: it is
a record of moderation decisions that we keep under legitimate interests and the Online
Safety Act's record-keeping duties. Reports are logged there without a reporter, so once the
Report row drops the link, nothing in the log points at the reporter. Moderators' own actions
stay attributed to the (scrubbed) account, which then shows as "Former member".
"""

from __future__ import annotations

from .models import SUPPORTIVE_CLOSES, Appeal, Complaint, ModAction, Report, RotaChange, Shift


def export(user) -> dict:
    return {
        "reports": [
            {
                "reason": r.reason,
                "note": r.note,
                "message_id": r.message_id,
                "group_id": r.group_id,
                "created_at": r.created_at.isoformat(),
            }
            for r in Report.objects.filter(reporter=user)
        ],
        "complaints": [
            {
                "about": c.about,
                "text": c.text,
                "status": c.status,
                "outcome": c.outcome,
                "created_at": c.created_at.isoformat(),
            }
            for c in Complaint.objects.filter(complainant=user)
        ],
        "appeals": [
            {
                "action_id": a.action_id,
                "text": a.text,
                "status": a.status,
                "decision_reason": a.decision_reason,
                "created_at": a.created_at.isoformat(),
            }
            for a in Appeal.objects.filter(appellant=user)
        ],
        "decisions_about_me": [
            {
                "kind": m.kind,
                "reason": m.reason,
                "until": m.until.isoformat() if m.until else None,
                "reversed": m.reversed_at is not None,
                "created_at": m.created_at.isoformat(),
            }
            for m in ModAction.objects.filter(target=user).exclude(kind__in=SUPPORTIVE_CLOSES)
        ],
        # A moderator's shifts and leave, a facilitator's own hours (group id set).
        "rota_shifts": [
            {"weekday": s.weekday, "from": s.starts.isoformat(), "until": s.ends.isoformat(),
             "group_id": s.group_id}
            for s in Shift.objects.filter(person=user)
        ],  # fmt: skip
        "rota_leave_and_swaps": [
            {"kind": c.kind, "from": c.starts_on.isoformat(), "to": c.ends_on.isoformat()}
            for c in RotaChange.objects.filter(person=user)
        ],
    }


def erase(user) -> None:
    from accounts.models import DeviceSighting

    from .models import EvasionSignal

    # Where they logged in from (keyed hashes) and any likeness noticed at their sign-up.
    DeviceSighting.objects.filter(user=user).delete()
    EvasionSignal.objects.filter(user=user).delete()
    Report.objects.filter(reporter=user).update(reporter=None)
    Shift.objects.filter(person=user).delete()
    RotaChange.objects.filter(person=user).delete()
    RotaChange.objects.filter(cover=user).update(cover=None)
    Complaint.objects.filter(complainant=user).update(complainant=None, text="")
    Appeal.objects.filter(appellant=user).update(appellant=None, text="")
