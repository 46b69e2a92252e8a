"""Admin: read-only views of the audit log; staff edit helplines and complaints here too."""

from django.contrib import admin

from config.adminkit import ViewOnlyAdmin

from .models import (
    Appeal,
    AuditEntry,
    Case,
    CaseNote,
    CaseReferral,
    Complaint,
    CrisisPhrase,
    EvasionSignal,
    Helpline,
    ModAction,
    Report,
    Risk,
    RiskRevision,
    RotaChange,
    Shift,
    TransparencyQuarter,
    WatchTerm,
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "verb", "actor_id", "group_id", "case_id_ref"]
    list_filter = ["event"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "group", "urgent", "opened_at"]
    list_filter = ["status", "kind", "urgent"]
    readonly_fields = [f.name for f in Case._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Helpline)
class HelplineAdmin(admin.ModelAdmin):
    list_display = ["name", "how", "hours", "order", "active"]


admin.site.register(Complaint)
admin.site.register(WatchTerm)
admin.site.register(CrisisPhrase)


# Reports, actions and appeals change only through moderation.services (which writes the audit
# log and the live updates): view-only here. Report notes are not shown (they are read in the
# queue, which is logged); reporters' names never reach authors.


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    list_display = ["pk", "case_id", "group", "reason", "by_facilitator", "created_at"]
    list_filter = ["reason", "by_facilitator"]
    exclude = ["note"]
    list_select_related = ["group"]


@admin.register(ModAction)
class ModActionAdmin(ViewOnlyAdmin):
    list_display = ["pk", "kind", "group", "actor", "target", "until", "reversed_at", "created_at"]
    list_filter = ["kind", "site_wide"]
    list_select_related = ["group", "actor", "target"]


@admin.register(Appeal)
class AppealAdmin(ViewOnlyAdmin):
    list_display = ["pk", "action_id", "appellant", "status", "decided_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["appellant", "decided_by"]


@admin.register(EvasionSignal)
class EvasionSignalAdmin(ViewOnlyAdmin):
    """Likenesses noticed at sign-up (moderation/evasion.py): written only there."""

    list_display = ["pk", "user", "banned", "reasons", "created_at"]
    list_select_related = ["user", "banned"]


@admin.register(CaseNote)
class CaseNoteAdmin(ViewOnlyAdmin):
    """Safeguarding records, written in the queue: the admin lists them without their words
    (they are read on the item's page, where who may see them is checked)."""

    list_display = ["pk", "case_id", "author", "created_at"]
    exclude = ["body"]
    list_select_related = ["author"]


@admin.register(CaseReferral)
class CaseReferralAdmin(ViewOnlyAdmin):
    list_display = ["pk", "case_id", "passed_by", "created_at"]
    list_select_related = ["passed_by"]


# The rota is edited on its own page (/moderation/rota/), through the services that refuse
# overlaps and leave with no cover: the admin only shows it, so nothing goes around them.
@admin.register(Shift)
class ShiftAdmin(ViewOnlyAdmin):
    list_display = ["person", "group", "weekday", "starts", "ends"]
    list_filter = ["weekday"]
    search_fields = ["person__display_name"]


@admin.register(RotaChange)
class RotaChangeAdmin(ViewOnlyAdmin):
    list_display = ["kind", "person", "cover", "starts_on", "ends_on"]
    list_filter = ["kind"]
    search_fields = ["person__display_name"]


@admin.register(Risk)
class RiskAdmin(ViewOnlyAdmin):
    """The risk assessment changes on its own page (/moderation/risks/), one version at a time."""

    list_display = ("pk", "created_at", "retired_at")


@admin.register(RiskRevision)
class RiskRevisionAdmin(ViewOnlyAdmin):
    list_display = ("risk", "version", "title", "likelihood", "impact", "review_by")
    list_select_related = ("risk",)
    search_fields = ("title",)


@admin.register(TransparencyQuarter)
class TransparencyQuarterAdmin(ViewOnlyAdmin):
    """Worked out by the refresh_transparency job; figures only."""

    list_display = ("year", "quarter", "computed_at")
