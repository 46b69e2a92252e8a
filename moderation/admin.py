"""Admin: read-only views of the audit log; staff edit helplines and complaints here too."""

from django.contrib import admin

from .models import AuditEntry, Case, Complaint, CrisisPhrase, Helpline, WatchTerm


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
