"""API keys in the admin: created with their text shown once, revoked with an action."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from api import services
from api.models import ApiKey, Scope


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the key may do. Write scopes need a user who may see every account.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "user", "scopes", "rate_limit_per_minute")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "key_prefix", "user", "scope_list", "rate_limit_per_minute",
                    "created_at", "last_used_at", "revoked_at")  # fmt: skip
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username", "user__email")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("key_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ("revoke",)

    @admin.display(description="key")
    def key_prefix(self, api_key: ApiKey) -> str:
        return f"ns_{api_key.prefix}_…" if api_key.prefix else "(shown once, on creation)"

    @admin.display(description="scopes")
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead, so the admin still shows who had which key

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        text = services.api_key_issue(api_key=obj, created_by=request.user)
        messages.warning(
            request,
            f"The key of “{obj.name}” is {text} — copy it now: it is stored hashed and will "
            f"not be shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, "Revoked; requests with these keys now get 401.")
