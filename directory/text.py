"""Plain words for a service: who it is for, when it is open, what it costs."""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: Directory schedules are the services' own local times.
ZONE = zoneinfo.ZoneInfo("Europe/London")

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def day_names() -> dict[str, str]:
    return {
        "MO": _("Monday"), "TU": _("Tuesday"), "WE": _("Wednesday"), "TH": _("Thursday"),
        "FR": _("Friday"), "SA": _("Saturday"), "SU": _("Sunday"),
    }  # fmt: skip


def short_day(code: str) -> str:
    return day_names()[code][:3]


def local_now(now: datetime.datetime) -> datetime.datetime:
    return now.astimezone(ZONE)


def who_for(service) -> str:
    low, high = service.minimum_age, service.maximum_age
    if low is None and high is None:
        return _("Anyone")
    if low is not None and high is not None:
        if low == 0:
            return ngettext("Children up to %(high)d year old", "Children up to %(high)d years old",
                            high) % {"high": high}
        return _("Ages %(low)d to %(high)d") % {"low": low, "high": high}
    if low is not None:
        return _("Ages %(low)d and over") % {"low": low}
    return _("Ages up to %(high)d") % {"high": high}


def _days(byday: str) -> str:
    codes = [c for c in (byday or "").split(",") if c in DAYS]
    if not codes:
        return ""
    idx = sorted(DAYS.index(c) for c in codes)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{short_day(DAYS[idx[0]])}–{short_day(DAYS[idx[-1]])}"
    return ", ".join(short_day(DAYS[i]) for i in idx)


def schedule_line(schedule) -> str:
    if schedule.freq == "DAILY":
        days = _("Every day")
    elif schedule.freq == "WEEKLY":
        days = _days(schedule.byday)
    else:
        days = ""
    hours = ""
    if schedule.opens_at and schedule.closes_at:
        hours = f"{schedule.opens_at:%H:%M}–{schedule.closes_at:%H:%M}"
    line = " ".join(p for p in (days, hours) if p)
    return line or schedule.description


def opening_times(service) -> list[str]:
    return [line for line in (schedule_line(s) for s in service.schedules.all()) if line]


def cost_text(service) -> str:
    options = list(service.cost_options.all())
    if options and all(o.amount is not None and o.amount == 0 for o in options):
        return _("Free")
    parts = []
    for o in options:
        if o.amount is None:
            text = o.amount_description or o.option
        elif o.amount == 0:
            text = _("Free")
        else:
            text = f"£{o.amount:,.2f}".replace(".00", "")
            if o.amount_description:
                text += f" {o.amount_description}"
        if o.option and o.amount is not None:
            text = f"{o.option}: {text}"
        if text:
            parts.append(text)
    if parts:
        return "; ".join(parts)
    return service.fees or _("Ask them whether it costs anything")


def is_open(service, now: datetime.datetime) -> bool:
    local = local_now(now)
    code = DAYS[local.weekday()]
    t = local.time().replace(tzinfo=None)
    for s in service.schedules.all():
        if s.valid_from and local.date() < s.valid_from:
            continue
        if s.valid_to and local.date() > s.valid_to:
            continue
        on_day = s.freq == "DAILY" or (s.freq == "WEEKLY" and code in s.byday.split(","))
        if on_day and s.opens_at and s.closes_at and s.opens_at <= t < s.closes_at:
            return True
    return False


def card_data(service, path: str) -> dict:
    """A service as the chat shows its card (chat.models.Message.card): what it is called,
    when it is open, the phone to tap and the page on Village. Only what the directory
    publishes; `tel` is the number as a phone dials it."""
    phone = next(iter(service.phones.all()), None)
    number = phone.number if phone else ""
    return {
        "uuid": str(service.uuid),
        "name": service.name,
        "times": opening_times(service),
        "phone": number,
        "tel": "".join(ch for ch in number if ch.isdigit() or ch == "+"),
        "path": path,
    }


def card_text(card: dict, url: str) -> str:
    """The same card (`card_data`) as plain text, the message's body: name, opening times,
    phone and its page's full address, for notifications, pins and quotes."""
    lines = [f"📌 {card['name']}"]
    if card["times"]:
        lines.append(f"🕘 {'; '.join(card['times'])}")
    if card["phone"]:
        lines.append(f"📞 {card['phone']}")
    lines.append(url)
    return "\n".join(lines)
