from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models

from . import fetch, importer
from .models import Feed, Referral, Service


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ("name", "base_url", "enabled", "last_status")
    readonly_fields = (
        "last_status", "last_ok", "last_attempt_at", "last_synced_at",
        "services_synced", "services_skipped",
    )
    actions = ["sync_now"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        def clean_base_url(self_form):
            url = self_form.cleaned_data["base_url"]
            try:
                fetch.check_feed_url(url)
            except fetch.FeedError as exc:
                raise ValidationError(f"This address can't be used: {exc.reason}.") from None
            return url

        form.clean_base_url = clean_base_url
        return form

    @admin.action(description="Sync the selected feeds now")
    def sync_now(self, request, queryset):
        for feed in queryset:
            result = importer.sync_feed(feed)
            level = messages.SUCCESS if result.ok else messages.WARNING
            self.message_user(request, f"{feed.name}: {result.status}", level)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "feed", "group", "status", "is_active", "sharing")
    list_filter = ("feed", "is_active", "sharing")
    search_fields = ("name",)
    fields = ("name", "referral_email", "sharing", "is_active")
    readonly_fields = ("name",)

    def has_add_permission(self, request):
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    # Referrals are private: the admin lists only where each stands, never what was shared.
    list_display = ("pk", "service", "status", "sent_at", "closed_at")
    fields = ("service", "status", "sent_at", "first_answer_at", "closed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
