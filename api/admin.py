"""API keys in the admin: created with their text shown once, revoked with an action.

The new key's text is shown on a page of its own, the response to the save itself (no-store):
never in a message, which the default storage writes into a readable cookie, and never logged.
"""

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from api import services
from api.models import ApiKey, Scope
from audit.admin import AuditedModelAdmin


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
class ApiKeyAdmin(AuditedModelAdmin):
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
        # Kept on the instance of this request only, for response_add below.
        obj.issued_text = services.api_key_issue(api_key=obj, created_by=request.user)

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None):
        """The key's text, once, on the page answering the save (not a redirect to a page that
        would need it carried in the session or a cookie)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "api_key": obj,
            "text": obj.issued_text,
            "title": "Copy the new API key",
        }
        response: HttpResponse = TemplateResponse(
            request, "admin/api/apikey/created.html", context
        ).render()
        add_never_cache_headers(response)  # Cache-Control: no-store: no copy in any cache
        return response

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, "Revoked; requests with these keys now get 401.")
