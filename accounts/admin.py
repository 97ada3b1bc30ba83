"""Admin for the raw records: browse and correct; bulk loads go through import_data."""

from django.contrib import admin

from accounts.models import (
    Account,
    Contact,
    Contract,
    CostMonth,
    CustomField,
    ImportLog,
    Note,
    Ticket,
    UsageDaily,
    UsageFeature,
)
from audit.admin import AuditedModelAdmin
from surveys.admin import send_survey_to_accounts


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ("external_id", "name", "email", "title", "is_champion", "left_on")


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("external_id", "plan", "start_date", "end_date", "mrr", "seats", "one_time_fee")


@admin.register(CustomField)
class CustomFieldAdmin(AuditedModelAdmin):
    list_display = ("label", "key", "target", "field_type")
    list_filter = ("target", "field_type")
    search_fields = ("label", "key")

    def get_readonly_fields(self, request, obj=None):
        # The key names an import column and the stored values: renaming it would orphan them.
        return ("key", "target") if obj else ()


@admin.register(Account)
class AccountAdmin(AuditedModelAdmin):
    list_display = ("name", "external_id", "segment", "region", "owner", "lifecycle_stage",
                    "created_on")  # fmt: skip
    list_filter = ("segment", "region", "lifecycle_stage", "industry")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("owner", "parent")
    date_hierarchy = "created_on"
    list_select_related = ("owner",)
    inlines = (ContactInline, ContractInline)
    actions = (send_survey_to_accounts,)


@admin.register(Contact)
class ContactAdmin(AuditedModelAdmin):
    list_display = ("name", "email", "account", "title", "is_champion", "left_on")
    list_filter = ("is_champion",)
    search_fields = ("name", "email", "external_id", "account__name")
    autocomplete_fields = ("account",)
    list_select_related = ("account",)


@admin.register(Contract)
class ContractAdmin(AuditedModelAdmin):
    list_display = ("external_id", "account", "plan", "start_date", "end_date", "mrr", "seats")
    list_filter = ("plan",)
    search_fields = ("external_id", "account__name")
    autocomplete_fields = ("account",)
    date_hierarchy = "start_date"
    list_select_related = ("account",)


@admin.register(Ticket)
class TicketAdmin(AuditedModelAdmin):
    list_display = ("external_id", "subject", "account", "priority", "opened_at",
                    "first_response_at", "resolved_at")  # fmt: skip
    list_filter = ("priority", "resolved_on_first_contact")
    search_fields = ("external_id", "subject", "account__name")
    autocomplete_fields = ("account",)
    date_hierarchy = "opened_at"
    list_select_related = ("account",)


@admin.register(UsageDaily)
class UsageDailyAdmin(AuditedModelAdmin):
    list_display = ("date", "account", "user_id", "feature", "events", "minutes", "sessions")
    list_filter = ("feature",)
    search_fields = ("user_id", "account__name", "account__external_id")
    autocomplete_fields = ("account",)
    date_hierarchy = "date"
    list_select_related = ("account",)
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(Note)
class NoteAdmin(AuditedModelAdmin):
    list_display = ("account", "author", "created_at")
    search_fields = ("body", "account__name")
    autocomplete_fields = ("account", "author")
    date_hierarchy = "created_at"
    list_select_related = ("account", "author")


@admin.register(CostMonth)
class CostMonthAdmin(AuditedModelAdmin):
    list_display = ("month", "sales_marketing_spend", "retention_spend")
    date_hierarchy = "month"


@admin.register(ImportLog)
class ImportLogAdmin(AuditedModelAdmin):
    list_display = ("kind", "source", "rows", "imported_at")
    list_filter = ("kind", "source")
    date_hierarchy = "imported_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(UsageFeature)
class UsageFeatureAdmin(AuditedModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)

    def has_add_permission(self, request) -> bool:
        return False  # kept by a database trigger on usage rows

    def has_change_permission(self, request, obj=None) -> bool:
        return False
