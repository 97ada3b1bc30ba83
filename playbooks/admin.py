"""Admins edit playbooks here too, with the forms the playbook page uses."""

from django.contrib import admin, messages

from audit.admin import AuditedModelAdmin
from playbooks.forms import (
    ActionForm,
    BaseActionFormSet,
    ConditionForm,
    PlaybookAdminForm,
)
from playbooks.models import (
    Condition,
    Playbook,
    PlaybookAction,
    PlaybookRun,
    PlaybookRunStep,
    Task,
)
from playbooks.services import playbook_activate, playbook_secret_rotate


class PlaybookConditionInline(admin.TabularInline):
    model = Condition
    form = ConditionForm
    fk_name = "playbook"
    extra = 0


class ActionInline(admin.StackedInline):
    model = PlaybookAction
    form = ActionForm
    formset = BaseActionFormSet
    extra = 0
    autocomplete_fields = ("assignee",)

    def get_fields(self, request, obj=None):
        # Where webhooks go is for admins (who may change playbooks), not for readers.
        fields = super().get_fields(request, obj)
        if request.user.has_perm("playbooks.change_playbook"):
            return fields
        return [name for name in fields if name != "url"]


@admin.register(Playbook)
class PlaybookAdmin(AuditedModelAdmin):
    form = PlaybookAdminForm
    inlines = (PlaybookConditionInline, ActionInline)
    list_display = ("name", "trigger", "is_active", "reenroll_after_days", "updated_at")
    list_filter = ("is_active", "trigger")
    search_fields = ("name", "description")
    readonly_fields = ("webhook_secret",)
    actions = ("activate", "deactivate", "rotate_secret")

    @admin.action(description="Activate the selected playbooks")
    def activate(self, request, queryset) -> None:
        for playbook in queryset:
            playbook_activate(playbook=playbook, active=True)
        self.message_user(request, f"Activated {queryset.count()} playbook(s).", messages.SUCCESS)

    @admin.action(description="Deactivate the selected playbooks")
    def deactivate(self, request, queryset) -> None:
        for playbook in queryset:
            playbook_activate(playbook=playbook, active=False)
        self.message_user(request, f"Deactivated {queryset.count()} playbook(s).")

    @admin.action(description="Rotate the webhook secret of the selected playbooks")
    def rotate_secret(self, request, queryset) -> None:
        for playbook in queryset:
            playbook_secret_rotate(playbook=playbook)
        self.message_user(request, "New secrets: update the receivers.", messages.WARNING)


class StepInline(admin.TabularInline):
    model = PlaybookRunStep
    fields = ("position", "kind", "due_on", "status", "attempts", "result", "error", "done_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PlaybookRun)
class PlaybookRunAdmin(AuditedModelAdmin):
    """The record of what playbooks did: read only."""

    list_display = ("playbook", "account", "signal", "status", "as_of", "created_at")
    list_filter = ("status", "playbook")
    search_fields = ("account__name", "signal")
    list_select_related = ("playbook", "account")
    date_hierarchy = "created_at"
    inlines = (StepInline,)
    readonly_fields = ("playbook", "account", "signal", "trigger_values", "as_of", "anchor_on",
                       "status", "created_at", "finished_at")  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(AuditedModelAdmin):
    list_display = ("title", "account", "assignee", "due_on", "priority", "status", "source")
    list_filter = ("status", "priority", "source")
    search_fields = ("title", "account__name")
    autocomplete_fields = ("account", "assignee")
    list_select_related = ("account", "assignee")
    readonly_fields = ("source", "created_by", "run", "step", "created_at", "completed_at",
                       "completed_by")  # fmt: skip
    date_hierarchy = "due_on"
