"""Shared admin pieces.

Some records must only change through their service (so the room's sequence, the audit log and
the live updates stay right): staff can look at them in the admin, never edit them there.
"""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
