"""Admin for staff. Message bodies are not shown here: they are read through moderation, which
keeps an audit trail. Everything but a room's settings is view-only (changes go through
chat.services so the room's event log and live updates stay right)."""

from django.contrib import admin

from config.adminkit import ViewOnlyAdmin

from .models import Mention, Message, Reaction, ReadMarker, Room, RoomEvent


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("group", "last_seq", "slow_mode_seconds", "created_at")
    readonly_fields = ("group", "last_seq", "created_at")
    search_fields = ("group__name",)


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = ("id", "room", "seq", "author", "state", "created_at", "edited_at", "deleted_at")
    list_filter = ("state",)
    search_fields = ("room__group__name", "author__display_name")
    exclude = ("body",)
    list_select_related = ("room__group", "author")


@admin.register(RoomEvent)
class RoomEventAdmin(ViewOnlyAdmin):
    list_display = ("room", "seq", "type", "message_id", "actor", "created_at")
    list_filter = ("type",)
    search_fields = ("room__group__name",)
    list_select_related = ("room__group", "actor")


@admin.register(Reaction)
class ReactionAdmin(ViewOnlyAdmin):
    list_display = ("message_id", "user", "emoji", "created_at")
    list_filter = ("emoji",)
    list_select_related = ("user",)


@admin.register(Mention)
class MentionAdmin(ViewOnlyAdmin):
    list_display = ("message_id", "user")
    list_select_related = ("user",)


@admin.register(ReadMarker)
class ReadMarkerAdmin(ViewOnlyAdmin):
    list_display = ("room", "user", "last_read_seq", "updated_at")
    list_select_related = ("room__group", "user")
