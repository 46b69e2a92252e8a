"""Writes for the directory: local entries and referrals. One transaction each; emails and
notifications after commit. No referral text is ever logged."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.village import village
from core.errors import ServiceError
from core.urls import absolute_reverse
from groups import permissions
from groups.permissions import Action
from notifications.models import Kind
from notifications.services import notify

from .models import Location, Phone, Referral, ReferralAnswer, Schedule, Service, TaxonomyTerm

log = logging.getLogger(__name__)


class DirectoryError(ServiceError):
    pass


# --- local entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalEntry:
    name: str
    description: str = ""
    phone: str = ""
    email: str = ""
    url: str = ""
    address: str = ""
    postal_code: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    days: tuple[str, ...] = ()
    opens_at: datetime.time | None = None
    closes_at: datetime.time | None = None
    fees: str = ""
    need_ids: tuple[int, ...] = ()
    share_with_everyone: bool = False


def _apply(service: Service, entry: LocalEntry) -> None:
    for key in ("name", "description", "email", "url", "minimum_age", "maximum_age", "fees"):
        setattr(service, key, getattr(entry, key))
    service.save()
    service.schedules.all().delete()
    service.phones.all().delete()
    service.locations.all().delete()
    if entry.days or (entry.opens_at and entry.closes_at):
        Schedule.objects.create(
            service=service, freq=Schedule.Freq.WEEKLY, byday=",".join(entry.days),
            opens_at=entry.opens_at, closes_at=entry.closes_at,
        )
    if entry.phone:
        Phone.objects.create(service=service, number=entry.phone)
    if entry.address or entry.postal_code:
        Location.objects.create(service=service, address_1=entry.address,
                                postal_code=entry.postal_code)
    service.taxonomy_terms.set(TaxonomyTerm.objects.filter(pk__in=entry.need_ids))


def _check_ages(entry: LocalEntry) -> None:
    low, high = entry.minimum_age, entry.maximum_age
    if low is not None and high is not None and low > high:
        raise DirectoryError(_("The youngest age is more than the oldest."), code="ages")


@transaction.atomic
def local_entry_create(*, user, group, entry: LocalEntry) -> Service:
    """A facilitator adds a trusted contact for their group (caller checked ADD_LOCAL_ENTRY)."""
    _check_ages(entry)
    sharing = Service.Sharing.ASKED if entry.share_with_everyone else Service.Sharing.GROUP
    service = Service(group=group, created_by=user, sharing=sharing,
                      status=Service.Status.ACTIVE, last_modified=timezone.now())
    _apply(service, entry)
    return service


@transaction.atomic
def local_entry_update(*, service: Service, entry: LocalEntry) -> Service:
    _check_ages(entry)
    service.last_modified = timezone.now()
    if service.sharing == Service.Sharing.GROUP and entry.share_with_everyone:
        service.sharing = Service.Sharing.ASKED
    if service.sharing == Service.Sharing.EVERYONE:
        service.sharing = Service.Sharing.ASKED  # changed: a moderator looks again
    _apply(service, entry)
    return service


@transaction.atomic
def local_entry_decide(*, user, service: Service, approve: bool) -> Service:
    permissions.require_site(user, Action.APPROVE_LOCAL_ENTRY)
    if not service.is_local:
        raise DirectoryError(_("Only a group's own entries need approving."), code="not_local")
    service.sharing = Service.Sharing.EVERYONE if approve else Service.Sharing.GROUP
    service.last_modified = timezone.now()
    service.save(update_fields=["sharing", "last_modified", "updated_at"])
    return service


# --- referrals ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consent_text(*, service: Service, shared_name: str, shared_contact: str, note: str) -> str:
    """The exact words the member agrees to; stored with their consent."""
    lines = [
        _("I agree that Village sends this to %(service)s, so they can get in touch with me:")
        % {"service": service.name},
        _("Name: %(name)s") % {"name": shared_name},
        _("How to contact me: %(contact)s") % {"contact": shared_contact},
        _("In my own words: %(note)s") % {"note": note or _("(nothing added)")},
        _("Nothing else about me is shared. I can withdraw this at any time."),
    ]
    return "\n".join(lines)


def _check_referable(service: Service) -> None:
    if not service.is_active:
        raise DirectoryError(_("This service isn't running at the moment."), code="inactive")
    if not service.referral_address:
        raise DirectoryError(
            _("This service hasn't given an address for referrals yet. You can still call "
              "them."), code="no_contact")


@transaction.atomic
def referral_offer(*, facilitator, group, member, service: Service) -> Referral:
    """A facilitator offers to refer a member of their group (caller checked OFFER_REFERRAL
    in `group`). Nothing is sent until the member agrees."""
    _check_referable(service)
    theirs = permissions.membership_for(member, group)
    if not theirs or theirs.status != theirs.Status.ACTIVE or member.pk == facilitator.pk:
        raise DirectoryError(_("You can offer referrals to members of your group."),
                             code="not_member")
    referral = Referral.objects.create(service=service, member=member, facilitator=facilitator,
                                       group=group, shared_name=member.display_name)
    notify(
        user_ids=[member.pk], kind=Kind.REFERRAL,
        title=_("%(name)s offered to refer you to %(service)s")
        % {"name": facilitator.display_name, "service": service.name},
        body=_("Nothing is sent unless you agree. Have a look at what would be shared."),
        url=reverse("directory:referral", args=[referral.pk]), group_id=group.pk,
    )
    return referral


@transaction.atomic
def referral_ask(*, member, service: Service) -> Referral:
    """A member asks for a referral for themself (caller checked may_ask_referral)."""
    _check_referable(service)
    return Referral.objects.create(service=service, member=member,
                                   shared_name=member.display_name)


@transaction.atomic
def referral_consent(
    *, member, referral: Referral, shared_name: str, shared_contact: str, note: str,
    shown_text: str,
) -> Referral:
    """The member agrees, with the exact text they were shown; the referral is emailed to the
    service after commit with a personal link. Caller checked CONSENT_REFERRAL."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != Referral.Status.OFFERED:
        raise DirectoryError(_("You've already answered this one."), code="answered")
    shared_name, shared_contact, note = shared_name.strip(), shared_contact.strip(), note.strip()
    if not shared_name or not shared_contact:
        raise DirectoryError(_("Please say your name and how they can contact you."),
                             code="missing")
    expected = consent_text(service=referral.service, shared_name=shared_name,
                            shared_contact=shared_contact, note=note)
    if shown_text != expected:
        raise DirectoryError(
            _("Something changed on the page. Please check what will be shared and agree "
              "again."), code="changed")
    _check_referable(referral.service)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    referral.shared_name, referral.shared_contact, referral.note = shared_name, shared_contact, note
    referral.consent_text = expected
    referral.consented_at = referral.sent_at = now
    referral.status = Referral.Status.SENT
    referral.sent_to = referral.service.referral_address
    referral.token_hash = token_hash(token)
    referral.save()
    pk = referral.pk
    transaction.on_commit(lambda: _email_service(pk, token))
    log.info("referral %s sent", pk)
    return referral


def answer_url(token: str) -> str:
    return absolute_reverse("directory:answer", token)


def _email_service(referral_id: int, token: str) -> None:
    referral = Referral.objects.select_related("service").get(pk=referral_id)
    context = {"referral": referral, "url": answer_url(token),
               "days": village("REFERRAL_LINK_DAYS")}
    send_mail(
        subject=_("A referral from Village for %(service)s") % {"service": referral.service.name},
        message=render_to_string("directory/email/referral.txt", context),
        from_email=None, recipient_list=[referral.sent_to],
    )


def referral_by_token(token: str) -> Referral | None:
    """The live referral a service's link points at, or None (unknown, tampered, withdrawn,
    closed for good or older than REFERRAL_LINK_DAYS)."""
    if not token or len(token) > 100:
        return None
    referral = (Referral.objects.select_related("service", "member", "facilitator")
                .filter(token_hash=token_hash(token)).first())
    if referral is None or referral.status in (Referral.Status.WITHDRAWN, Referral.Status.OFFERED):
        return None
    link_days = datetime.timedelta(days=village("REFERRAL_LINK_DAYS"))
    if referral.sent_at is None or referral.sent_at < timezone.now() - link_days:
        return None
    return referral


ANSWERS = {
    "received": Referral.Status.RECEIVED,
    "in_touch": Referral.Status.IN_TOUCH,
    "helped": Referral.Status.HELPED,
    "not_right": Referral.Status.NOT_RIGHT,
}
_ORDER = [Referral.Status.SENT, Referral.Status.RECEIVED, Referral.Status.IN_TOUCH]


@transaction.atomic
def referral_answer(*, token: str, answer: str, suggestion: str = "") -> Referral:
    """The service answers through its link. Each answer is recorded once; a closed referral
    takes no more answers."""
    found = referral_by_token(token)
    if found is None:
        raise DirectoryError(_("This link no longer works."), code="stale")
    referral = Referral.objects.select_for_update().get(pk=found.pk)
    status = ANSWERS.get(answer)
    if status is None:
        raise DirectoryError(_("Please choose one of the answers."), code="invalid")
    if referral.is_closed:
        raise DirectoryError(_("This referral is already closed. Thank you."), code="closed")
    if referral.answers.filter(kind=status).exists():
        raise DirectoryError(_("You've already told us that. Thank you."), code="again")
    now = timezone.now()
    ReferralAnswer.objects.create(referral=referral, kind=status, at=now)
    current = Referral.Status(referral.status)
    if status in Referral.CLOSED or _ORDER.index(status) > _ORDER.index(current):
        referral.status = status
    referral.first_answer_at = referral.first_answer_at or now
    if status in Referral.CLOSED:
        referral.closed_at = now
    if status == Referral.Status.NOT_RIGHT:
        referral.suggestion = suggestion.strip()[:1000]
    referral.save()
    _tell_people(referral, status)
    return referral


def _tell_people(referral: Referral, status: str) -> None:
    from .status import status_line

    line = status_line(referral)
    url = reverse("directory:referral", args=[referral.pk])
    notify(user_ids=[referral.member_id], kind=Kind.REFERRAL,
           title=_("News about your referral to %(service)s") % {"service": referral.service.name},
           body=line, url=url, group_id=referral.group_id)
    if referral.facilitator_id:
        if status == Referral.Status.NOT_RIGHT:
            title = _("%(service)s wasn't the right place for %(name)s: could you help find "
                      "another?") % {"service": referral.service.name,
                                     "name": referral.member.display_name}
        else:
            title = _("News about %(name)s's referral") % {"name": referral.member.display_name}
        notify(user_ids=[referral.facilitator_id], kind=Kind.REFERRAL, title=title, body=line,
               url=url, group_id=referral.group_id)


@transaction.atomic
def referral_withdraw(*, member, referral: Referral) -> Referral:
    """The member withdraws consent: the link stops working and the service is told.
    Caller checked WITHDRAW_REFERRAL."""
    referral = Referral.objects.select_for_update().select_related("service").get(pk=referral.pk)
    if referral.status == Referral.Status.WITHDRAWN:
        return referral
    was_sent = referral.status != Referral.Status.OFFERED and not referral.is_closed
    to = referral.sent_to
    referral.status = Referral.Status.WITHDRAWN
    referral.token_hash = ""
    referral.closed_at = timezone.now()
    # Nothing the member shared is kept once they withdraw (when they agreed is kept).
    referral.shared_contact = ""
    referral.note = ""
    referral.consent_text = ""
    referral.save()
    if was_sent and to:
        name = referral.service.name
        subject = _("A Village referral to %(service)s was withdrawn") % {"service": name}
        body = render_to_string("directory/email/withdrawn.txt", {"service_name": name})
        transaction.on_commit(
            lambda: send_mail(subject=subject, message=body, from_email=None,
                              recipient_list=[to])
        )
    if referral.facilitator_id:
        notify(user_ids=[referral.facilitator_id], kind=Kind.REFERRAL,
               title=_("%(name)s withdrew their referral to %(service)s")
               % {"name": referral.member.display_name, "service": referral.service.name},
               url=reverse("directory:referral", args=[referral.pk]), group_id=referral.group_id)
    return referral


@transaction.atomic
def referral_contact_set(*, user, service: Service, email: str) -> Service:
    permissions.require_site(user, Action.SET_REFERRAL_CONTACT)
    service.referral_email = email
    service.save(update_fields=["referral_email", "updated_at"])
    return service


# --- jobs -----------------------------------------------------------------------------------


def working_days_before(now: datetime.datetime, days: int) -> datetime.datetime:
    """The moment `days` working days (Monday to Friday) before `now`."""
    moment = now
    left = days
    while left > 0:
        moment -= datetime.timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def referrals_follow_up(*, now: datetime.datetime | None = None) -> int:
    """Suggest a check-in to the facilitator of each referral with no answer after
    REFERRAL_FOLLOW_UP_WORKING_DAYS working days; once each. Notifications respect quiet
    hours (the notifications app holds their emails)."""
    now = now or timezone.now()
    due = working_days_before(now, village("REFERRAL_FOLLOW_UP_WORKING_DAYS"))
    count = 0
    rows = (Referral.objects.filter(status=Referral.Status.SENT, sent_at__lte=due,
                                    followed_up_at__isnull=True, facilitator__isnull=False)
            .select_related("member", "service"))
    for referral in rows:
        with transaction.atomic():
            claimed = Referral.objects.filter(pk=referral.pk, followed_up_at__isnull=True).update(
                followed_up_at=now)
            if not claimed:
                continue
            notify(
                user_ids=[referral.facilitator_id], kind=Kind.REFERRAL,  # type: ignore[list-item]
                title=_("Check in with %(name)s about their referral")
                % {"name": referral.member.display_name},
                body=_("%(service)s hasn't answered yet. It might help to ask %(name)s how it's "
                       "going, or to call them.") % {"service": referral.service.name,
                                                   "name": referral.member.display_name},
                url=reverse("directory:referral", args=[referral.pk]), group_id=referral.group_id,
            )
            count += 1
    return count


def referrals_delete_closed(*, now: datetime.datetime | None = None) -> int:
    """Delete referrals closed (or withdrawn) longer ago than REFERRAL_RETENTION_DAYS, and
    offers nobody agreed to in that time."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=village("REFERRAL_RETENTION_DAYS"))
    closed = Referral.objects.filter(status__in=Referral.CLOSED, closed_at__lt=cutoff)
    stale = Referral.objects.filter(status=Referral.Status.OFFERED, created_at__lt=cutoff)
    return closed.delete()[0] + stale.delete()[0]
