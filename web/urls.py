"""The composed pages, at the paths they always had: links and bookmarks keep working."""

from django.urls import path

from web.views import account_views, accounts, bulk, portfolio, renewals, surveys

urlpatterns = [
    # The accounts list (the home), its export, the 360 page and its actions.
    path("", accounts.home, name="home"),
    path("accounts/export.csv", accounts.accounts_export, name="accounts_export"),
    path("accounts/<int:account_id>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/notes/", accounts.note_create, name="note_create"),
    path("accounts/<int:account_id>/tasks/", accounts.task_create_view, name="task_create"),
    path(
        "accounts/<int:account_id>/fields/",
        accounts.account_fields_update,
        name="account_fields_update",
    ),
    path(
        "accounts/<int:account_id>/tags/", accounts.account_tags_update, name="account_tags_update"
    ),
    # Bulk actions from the list, their records and their undo (issue 16).
    path("accounts/bulk/", bulk.bulk_actions, name="bulk_actions"),
    path("accounts/bulk/new/", bulk.bulk_action_start, name="bulk_action_start"),
    path("accounts/bulk/<int:action_id>/", bulk.bulk_action_detail, name="bulk_action_detail"),
    path(
        "accounts/bulk/<int:action_id>/undo/", bulk.bulk_action_undo_view, name="bulk_action_undo"
    ),
    path(
        "health/alerts/<int:alert_id>/acknowledge/",
        accounts.alert_acknowledge_view,
        name="alert_acknowledge",
    ),
    path("health/alerts/<int:alert_id>/close/", accounts.alert_close_view, name="alert_close"),
    path(
        "health/accounts/<int:account_id>/sentiment/",
        accounts.sentiment_override_create_view,
        name="sentiment_override_create",
    ),
    # Views: named filters of the list and the portfolio, personal or shared.
    path("views/", account_views.views_page, name="view_list"),
    path("views/new/", account_views.view_create, name="view_create"),
    path("views/<int:view_id>/edit/", account_views.view_edit, name="view_edit"),
    path("views/<int:view_id>/delete/", account_views.view_delete_view, name="view_delete"),
    path("views/<int:view_id>/survey/", account_views.view_survey_send, name="view_survey_send"),
    # The portfolio, its tiles as CSV and the rows behind every figure.
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("portfolio/export.csv", portfolio.portfolio_export, name="portfolio_export"),
    path("portfolio/targets/", portfolio.target_save, name="portfolio_target_save"),
    path("portfolio/drill/<slug:key>/", portfolio.drill, name="portfolio_drill"),
    # The renewal desk: renewals and calls, reasons of churns, the quarter's forecast.
    path("renewals/", renewals.renewals_page, name="renewals"),
    path("renewals/<int:contract_id>/call/", renewals.renewal_call, name="renewal_call"),
    path(
        "renewals/outcomes/<int:outcome_id>/reason/",
        renewals.outcome_reason,
        name="renewal_outcome_reason",
    ),
    path("renewals/forecast/", renewals.forecast_page, name="renewal_forecast"),
    path("renewals/reasons/", renewals.reasons_page, name="renewal_reasons"),
    # The survey results and their export.
    path("surveys/", surveys.results, name="survey_results"),
    path("surveys/export.csv", surveys.results_export, name="survey_results_export"),
]
