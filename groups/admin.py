"""Admin for staff. Members' emails appear only here, never on pages other members see.

A membership's role and status only change through the group services (so the audit trail,
the member's notification, the last-facilitator rule and the cut-off of open sockets all
happen): the admin shows them read-only and offers the same changes as actions. Mutes and
bans with a reason belong on the moderation pages.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import services
from .models import Group, Invite, Membership, Topic
from .permissions import is_site_moderator

#: Set only by the services (and moderation), never typed into the admin.
SERVICE_FIELDS = ["role", "status", "muted_until", "decided_by"]


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
    readonly_fields = ["user", "role", "status", "joined_at", "muted_until"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # people join through the group's own pages, invites or requests

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
    readonly_fields = ["user", "group", *SERVICE_FIELDS, "joined_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["approve", "make_facilitator", "remove", "ban"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # removing or banning is an action: the member's history stays

    def _each(self, request, queryset, change, done_message) -> None:
        """Run one group service per selected membership, as the staff member; say what
        happened, and why for each one that was refused."""
        if not is_site_moderator(request.user):
            self.message_user(
                request, _("Only moderators and staff can change memberships."), messages.ERROR
            )
            return
        done = 0
        for membership in queryset.select_related("user", "group"):
            try:
                change(membership)
            except services.GroupError as exc:
                self.message_user(
                    request,
                    f"{membership.user.display_name} ({membership.group.name}): {exc.message}",
                    messages.WARNING,
                )
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Approve the join request"))
    def approve(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda m: services.membership_approve(membership=m, actor=request.user),
            lambda n: ngettext("Approved %d request.", "Approved %d requests.", n) % n,
        )

    @admin.action(description=_("Make facilitator"))
    def make_facilitator(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda m: services.membership_make_facilitator(membership=m, actor=request.user),
            lambda n: ngettext("%d new facilitator.", "%d new facilitators.", n) % n,
        )

    @admin.action(description=_("Remove from the group"))
    def remove(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda m: services.membership_remove(membership=m, actor=request.user),
            lambda n: ngettext("Removed %d member.", "Removed %d members.", n) % n,
        )

    @admin.action(description=_("Ban from the group"))
    def ban(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda m: services.membership_remove(membership=m, actor=request.user, ban=True),
            lambda n: ngettext("Banned %d member.", "Banned %d members.", n) % n,
        )


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["group", "created_by", "created_at", "expires_at", "revoked_at", "uses"]
    list_filter = ["group"]
    search_fields = ["group__name"]
    list_select_related = ["group", "created_by"]
    raw_id_fields = ["group", "created_by"]
    readonly_fields = ["token", "uses", "created_at"]
