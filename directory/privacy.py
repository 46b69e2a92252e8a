"""The member's referrals in their data export, and erased with their account."""

from __future__ import annotations

from .models import Referral


def export(user) -> list[dict]:
    rows = (
        Referral.objects.filter(member=user)
        .select_related("service")
        .prefetch_related("answers")
    )
    return [
        {
            "service": r.service.name,
            "status": r.status,
            "shared_name": r.shared_name,
            "shared_contact": r.shared_contact,
            "note": r.note,
            "consent_text": r.consent_text,
            "consented_at": r.consented_at.isoformat() if r.consented_at else None,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "answers": [{"answer": a.kind, "at": a.at.isoformat()} for a in r.answers.all()],
            "suggestion": r.suggestion,
        }
        for r in rows
    ]


def erase(user) -> None:
    """Referrals are about the member: they go with the account. Referrals a facilitator
    made for someone else keep their history without the facilitator (SET_NULL)."""
    from .services import referral_withdraw

    live = Referral.objects.filter(member=user).exclude(status__in=Referral.CLOSED)
    for referral in live.exclude(status=Referral.Status.OFFERED):
        referral_withdraw(member=user, referral=referral)  # the service is told, link ends
    Referral.objects.filter(member=user).delete()
