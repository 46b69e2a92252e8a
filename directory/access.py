"""The directory's `access_*` fetchers: they fetch the row and ask groups.permissions (the
one place that decides). "Does not exist" and "not yours" are the same 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups import permissions
from groups.permissions import Action

from .models import Referral, Service


def access_referral(user, pk: int, action: Action = Action.VIEW_REFERRAL) -> Referral:
    if not permissions.may_use_directory(user):
        raise Http404("No such referral.")
    referral = (
        Referral.objects.select_related("service", "member", "facilitator", "group")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404("No such referral.")
    permissions.check_referral(user, referral, action)
    return referral


def access_local_entry(user, uuid) -> tuple[Service, permissions.GroupAccess]:
    """A local entry its group's facilitator (or staff) may edit."""
    service = Service.objects.filter(uuid=uuid, feed__isnull=True).select_related("group").first()
    if service is None or service.group_id is None:
        raise Http404("No such entry.")
    shared = service.sharing == Service.Sharing.EVERYONE
    if not permissions.may_see_local_entry(user, group_id=service.group_id, shared=shared):
        raise Http404("No such entry.")
    access = permissions.access_group(user, group_id=service.group_id)
    if not access.can(user, Action.ADD_LOCAL_ENTRY):
        raise PermissionDenied(Action.ADD_LOCAL_ENTRY.value)
    return service, access
