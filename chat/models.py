"""Group chat rooms, messages and the per-room event log.

Every durable change in a room takes the room's next sequence number under the room's row
lock, in the same transaction as the change, and is written to RoomEvent. The database is
the truth; broadcasts are a best-effort hint carrying the sequence number.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import Group


class RoomQuerySet(models.QuerySet):
    def group_rooms(self) -> "RoomQuerySet":
        return self.filter(member__isnull=True)

    def checkins(self) -> "RoomQuerySet":
        return self.filter(member__isnull=False)


class Room(models.Model):
    """A group's chat room, or (with `member` set) a private check-in: one member and the
    group's facilitators, read by site moderators on safeguarding grounds (checkins/). Both
    run on the same machinery: sequence, resume, outbox, the same gate."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="rooms")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # a check-in is deleted with the member's account
        related_name="checkin_rooms",
        help_text=_("Set for a private check-in: the member it is with."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_seq = models.BigIntegerField(default=0)
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RoomQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group"], condition=Q(member__isnull=True), name="one_room_per_group"
            ),
            models.UniqueConstraint(
                fields=["group", "member"],
                condition=Q(member__isnull=False),
                name="one_checkin_per_group_member",
            ),
        ]

    def __str__(self) -> str:
        if self.member_id is not None:
            return f"Check-in {self.pk} in group {self.group_id}"
        return f"Room of {self.group}"

    @property
    def is_checkin(self) -> bool:
        return self.member_id is not None


class MessageQuerySet(models.QuerySet):
    def visible(self) -> "MessageQuerySet":
        return self.filter(state=Message.State.VISIBLE)


class Message(models.Model):
    class State(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HELD = "held", _("Held for review")  # watch list: only author and moderators see it
        HIDDEN = "hidden", _("Hidden by a moderator")  # or auto-hidden pending review
        REMOVED = "removed", _("Removed by a moderator")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField(help_text=_("Sequence number of the event that created it."))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        help_text=_("Empty once the author deleted their account (shown as Former member)."),
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    body = models.TextField(max_length=4000)
    card = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "A directory service shared as a card (chat/share.py): its name, opening times, "
            "phone and page, as they were when shared. Only the server sets it; the body holds "
            "the same as plain text."
        ),
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # deleted by its author
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], name="message_client_id_unique_per_author"
            ),
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq_unique_per_room"),
        ]
        indexes = [
            models.Index(fields=["room", "-id"]),
            models.Index(
                fields=["room", "pinned_at"],
                condition=Q(pinned_at__isnull=False),
                name="message_pinned_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in room {self.room_id}"  # never the body

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class RoomEvent(models.Model):
    """The room's durable event log. Payloads hold ids and small facts, never message bodies:
    the frame sent on resume is built from the message's current state."""

    class Type(models.TextChoices):
        MESSAGE_CREATED = "message.created"
        MESSAGE_EDITED = "message.edited"
        MESSAGE_DELETED = "message.deleted"
        REACTION_CHANGED = "reaction.changed"
        MESSAGE_PINNED = "message.pinned"
        MESSAGE_UNPINNED = "message.unpinned"
        MESSAGE_HIDDEN = "message.hidden"
        MESSAGE_RESTORED = "message.restored"
        ROOM_UPDATED = "room.updated"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=32, choices=Type.choices)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="room_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.seq} in room {self.room_id}"


class Reaction(models.Model):
    class Emoji(models.TextChoices):
        HEART = "heart", "❤️"
        HUG = "hug", "🤗"
        THUMBS_UP = "thumbs_up", "👍"
        STRONG = "strong", "💪"
        LAUGH = "laugh", "😂"
        SAD = "sad", "😢"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16, choices=Emoji.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="one_reaction_per_user_emoji"
            ),
        ]


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_mention_per_user"),
        ]


class ReadMarker(models.Model):
    """How far a member has read in a room, stored on the server so it follows them."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="one_read_marker_per_user"),
        ]
