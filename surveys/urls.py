from django.urls import path

from surveys import views

# Mounted at /s/: the public pages, reached from the emailed link, without login.
public_urlpatterns = [
    path("<str:token>/", views.respond, name="survey_respond"),
    path("<str:token>/thanks/", views.thanks, name="survey_thanks"),
]

# Mounted at /surveys/ (login).
urlpatterns = [
    path("", views.results, name="survey_results"),
    path("export.csv", views.results_export, name="survey_results_export"),
    path("accounts/<int:account_id>/invite/", views.account_invite, name="survey_account_invite"),
]
