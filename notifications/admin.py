from django.contrib import admin

from .models import Notification, Preference, QuietHours


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "title", "kind", "user", "urgent", "created_at", "read_at", "send_after", "emailed_at"
    )  # fmt: skip
    list_filter = ("kind", "urgent")
    search_fields = ("title",)
    raw_id_fields = ("user", "group")
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    raw_id_fields = ("user",)


@admin.register(QuietHours)
class QuietHoursAdmin(admin.ModelAdmin):
    list_display = ("user", "enabled", "start", "end")
    list_filter = ("enabled",)
    raw_id_fields = ("user",)
