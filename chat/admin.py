from django.contrib import admin

from .models import Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Rooms only: message bodies are seen through moderation, which keeps an audit trail."""

    list_display = ("group", "last_seq", "slow_mode_seconds", "created_at")
    readonly_fields = ("group", "last_seq", "created_at")
    search_fields = ("group__name",)
