"""Where a referral stands, in plain words for the member and the facilitator."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Referral


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "l")


def status_line(referral: Referral, *, viewer=None) -> str:
    """`viewer`: who reads it (the member is "you"; anyone else reads the member's name)."""
    S = Referral.Status
    name = referral.service.name
    if referral.status == S.OFFERED:
        if viewer is not None and viewer.pk != referral.member_id:
            return _("Waiting for %(name)s to agree. Nothing has been sent to %(service)s.") % {
                "name": referral.member.display_name, "service": name}
        return _("Waiting for you to agree. Nothing has been sent to %(service)s.") % {
            "service": name}
    if referral.status == S.WITHDRAWN:
        return _("Withdrawn. %(service)s has been told, and the link we sent them no longer "
                 "works.") % {"service": name}
    sent = _("Sent to %(service)s on %(day)s.") % {"service": name, "day": _day(referral.sent_at)}
    then = {
        S.SENT: _("They haven't answered yet."),
        S.RECEIVED: _("They said they've received it."),
        S.IN_TOUCH: _("They said they've been in touch."),
        S.HELPED: _("They said they've helped, and closed it."),
        S.NOT_RIGHT: _("They said they weren't the right service."),
    }[referral.status]
    line = f"{sent} {then}"
    if referral.status == S.NOT_RIGHT and referral.suggestion:
        line += " " + _("They suggested: %(suggestion)s") % {"suggestion": referral.suggestion}
    return line
