from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.adminkit import ViewOnlyAdmin

from . import sessions
from .models import DeviceSighting, LoginSession, TermsAcceptance, TermsVersion, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("-date_joined",)
    list_display = ("display_name", "email", "is_moderator", "is_staff", "is_active", "date_joined")
    list_filter = ("is_moderator", "is_staff", "is_active")
    search_fields = ("display_name", "email")
    actions = ["log_out_everywhere"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "about", "time_zone")}),
        (
            "Roles",
            {
                "fields": (
                    "is_active",
                    "is_moderator",
                    "is_safeguarding_lead",
                    "is_staff",
                    "is_superuser",
                    "groups",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")},
        ),
    )

    @admin.action(description=_("Log out everywhere (end every session)"))
    def log_out_everywhere(self, request, queryset):
        ended = sum(sessions.end_all(user_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("Ended %(n)d session.", "Ended %(n)d sessions.", ended) % {"n": ended},
            messages.SUCCESS,
        )


@admin.register(LoginSession)
class LoginSessionAdmin(admin.ModelAdmin):
    """Read-only: who is logged in since when. The session key is a secret and never shown."""

    list_display = ("user", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__display_name", "user__email")
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeviceSighting)
class DeviceSightingAdmin(ViewOnlyAdmin):
    """When an account logged in. The hashes mean nothing to a person: not shown."""

    list_display = ("user", "seen_at")
    list_select_related = ("user",)
    fields = ("user", "seen_at")


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    """Staff publish terms here. A published version is never edited: publishing again makes
    the next version, and members are asked to agree to it (accounts.services.terms_publish)."""

    list_display = ("version", "published_at", "summary")
    fields = ("text", "house_rules", "summary", "published_at")

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        from .services import TermsError, terms_publish

        try:
            published = terms_publish(
                text=obj.text,
                house_rules=obj.house_rules,
                summary=obj.summary,
                published_at=obj.published_at,
            )
        except TermsError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.version = published.pk, published.version


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(ViewOnlyAdmin):
    """Who agreed to which version of the terms, and when: a record, never edited."""

    list_display = ("user", "terms", "accepted_at")
    list_select_related = ("user", "terms")
