"""Reads the UI needs from chat, with their joins explicit so query counts stay constant."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Message, ReadMarker, Room


def unread_counts(*, user, group_ids: Iterable[int]) -> dict[int, int]:
    """Unread visible messages by others, per group id, in one query."""
    ids = list(group_ids)
    if not ids or not user.is_authenticated:
        return {}
    marker = ReadMarker.objects.filter(room=OuterRef("pk"), user=user).values("last_read_seq")[:1]
    rooms = (
        Room.objects.filter(group_id__in=ids)
        .annotate(read_seq=Coalesce(Subquery(marker), Value(0), output_field=IntegerField()))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__seq__gt=F("read_seq"))
                & Q(messages__state=Message.State.VISIBLE)
                & Q(messages__deleted_at__isnull=True)
                & ~Q(messages__author=user),
            )
        )
        .values_list("group_id", "unread")
    )
    return dict(rooms)
