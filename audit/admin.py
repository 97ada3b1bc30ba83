"""The admin's writes in the audit log: every model admin of a tracked model derives from
`AuditedModelAdmin`, which records its saves, deletions and inline rows with the changed fields.

Writes the admin makes through a service (an API key issued, a playbook activated by an action)
are recorded by that service; those admins override save_model or act through actions, and this
class records only what passes through its own methods. Users and groups get the same treatment
by re-registering Django's own admins; role changes are recorded by the m2m signal
(audit.receivers.roles_changed), whichever page makes them.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import models

from audit import services


class AuditedModelAdmin(admin.ModelAdmin):
    def save_model(self, request, obj: models.Model, form, change: bool) -> None:
        before = services.stored_values(obj) if change else None
        super().save_model(request, obj, form, change)
        _record_save(obj, before)

    def delete_model(self, request, obj: models.Model) -> None:
        _record_delete(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            _record_delete(obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change: bool) -> None:
        """Inline rows (a contact on its account, a health model's components): each added,
        changed or deleted row is an entry of its own."""
        befores = {
            f.instance.pk: services.stored_values(f.instance)
            for f in formset.initial_forms
            if f.instance.pk is not None and f.has_changed()
        }
        for deleted in formset.deleted_forms:  # before the delete clears their ids
            if deleted.instance.pk is not None:
                _record_delete(deleted.instance)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _record_save(obj, None)
        for obj, _fields in formset.changed_objects:
            _record_save(obj, befores.get(obj.pk))


def _record_save(obj: models.Model, before: dict | None) -> None:
    if before is None:
        services.record_created(services.action_name(type(obj), "create"), obj)
    else:
        services.record_changed(services.action_name(type(obj), "update"), obj, before)


def _record_delete(obj: models.Model) -> None:
    services.record(
        services.action_name(type(obj), "delete"),
        obj=obj,
        changes=services.diff(services.values_of(obj), {}),
    )


class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):
    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the form was saved
            user = User.objects.get(pk=id)
            services.record("user.password_set", obj=user, changes={"password": ["(set)", "(set)"]})
        return response


class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
