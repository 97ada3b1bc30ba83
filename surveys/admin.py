from django.contrib import admin

from surveys.models import SurveyResponse


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("responded_at", "account", "contact", "kind", "score")
    list_filter = ("kind", "score")
    search_fields = ("comment", "external_id", "account__name")
    autocomplete_fields = ("account", "contact")
    date_hierarchy = "responded_at"
    list_select_related = ("account", "contact")
