"""Admin for staff. Members' emails appear only here, never on pages other members see."""

from django.contrib import admin
from django.db.models import Count, Q

from config.adminkit import ViewOnlyAdmin

from .models import FacilitatorAway, Group, Invite, Membership, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "group"
    extra = 0
    fields = ["user", "role", "status", "joined_at", "muted_until"]
    readonly_fields = ["joined_at"]
    raw_id_fields = ["user"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "area",
        "meeting_mode",
        "visibility",
        "join_policy",
        "members",
        "created_at",
    ]
    list_filter = ["visibility", "join_policy", "meeting_mode", "topics"]
    search_fields = ["name", "slug", "area"]
    filter_horizontal = ["topics"]
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_members=Count(
                    "memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)
                )
            )
        )

    @admin.display(ordering="active_members", description="Members")
    def members(self, obj):
        return obj.active_members


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "status", "joined_at", "updated_at"]
    list_filter = ["role", "status", "group"]
    search_fields = ["user__display_name", "user__email", "group__name"]
    list_select_related = ["user", "group"]
    raw_id_fields = ["user", "group", "decided_by"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "created_at"


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["group", "created_by", "created_at", "expires_at", "revoked_at", "uses"]
    list_filter = ["group"]
    search_fields = ["group__name"]
    list_select_related = ["group", "created_by"]
    raw_id_fields = ["group", "created_by"]
    readonly_fields = ["token", "uses", "created_at"]


@admin.register(FacilitatorAway)
class FacilitatorAwayAdmin(ViewOnlyAdmin):
    """Set by facilitators on their cover page (through `away_set`, which checks the cover)."""

    list_display = ["group", "membership", "starts_on", "ends_on", "cover", "ask_moderators"]
    list_select_related = ["group", "membership__user", "cover"]
    search_fields = ["group__name"]
