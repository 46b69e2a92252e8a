from django.contrib import admin

from config.adminkit import ViewOnlyAdmin

from .models import Notification, Preference, PushDelivery, PushSubscription, QuietHours


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


@admin.register(PushSubscription)
class PushSubscriptionAdmin(ViewOnlyAdmin):
    """A member's phones, to look at: the push address and keys are the member's own secrets
    (anyone holding them can push to that phone), so they are not shown."""

    list_display = ("name", "user", "previews", "created_at", "last_success_at")
    list_filter = ("previews",)
    search_fields = ("name",)
    exclude = ("endpoint", "p256dh", "auth", "browser_key")
    list_select_related = ("user",)


@admin.register(PushDelivery)
class PushDeliveryAdmin(ViewOnlyAdmin):
    list_display = ("notification", "subscription", "state", "attempts", "send_after", "sent_at")
    list_filter = ("state",)
    exclude = ("claim",)
    list_select_related = ("notification", "subscription")
