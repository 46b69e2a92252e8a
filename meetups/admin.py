"""Admin: read-mostly views for support staff. Changes go through the pages and services."""

from django.contrib import admin

from .models import (
    Attendance,
    CalendarFeed,
    Delivery,
    GroupCalendarFeed,
    MeetupPrefs,
    MeetupSeries,
    NudgeReply,
    Occurrence,
    Rsvp,
)


@admin.register(MeetupSeries)
class MeetupSeriesAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "group",
        "weekday",
        "start_time",
        "interval_weeks",
        "starts_on",
        "ends_on",
    ]
    list_filter = ["weekday", "interval_weeks"]
    search_fields = ["title", "group__name"]
    raw_id_fields = ["group", "created_by"]


@admin.register(Occurrence)
class OccurrenceAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "starts_at", "status", "moved", "register_closed_at"]
    list_filter = ["status", "moved", "modified"]
    search_fields = ["title", "group__name"]
    raw_id_fields = ["group", "series", "register_closed_by"]
    date_hierarchy = "starts_at"


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["occurrence", "user", "answer", "waitlist_position"]
    list_filter = ["answer"]
    raw_id_fields = ["occurrence", "user"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["occurrence", "user", "walk_in_name", "source", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["occurrence", "user", "marked_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["kind", "occurrence", "user", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["occurrence", "user", "group"]

    def has_change_permission(self, request, obj=None):
        return False  # the record of what was sent is never edited by hand


admin.site.register(
    MeetupPrefs, raw_id_fields=["user", "group"], list_display=["user", "group", "nudges"]
)
admin.site.register(
    NudgeReply,
    raw_id_fields=["occurrence", "user"],
    list_display=["occurrence", "user", "choice", "created_at"],
)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Staff can revoke a private calendar link (delete it); the secret token is never shown."""

    list_display = ["user", "created_at"]
    exclude = ["token"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GroupCalendarFeed)
class GroupCalendarFeedAdmin(CalendarFeedAdmin):
    """The same for a member's private link to one group's calendar."""

    list_display = ["user", "group", "created_at"]
    raw_id_fields = ["user", "group"]
