from django.urls import path

from surveys import views

# Mounted at /s/: the public pages, reached from the emailed link, without login.
public_urlpatterns = [
    path("<str:token>/", views.respond, name="survey_respond"),
    path("<str:token>/thanks/", views.thanks, name="survey_thanks"),
]

# Mounted at /surveys/ (login); the results page and its export are web's, at /surveys/ too.
urlpatterns = [
    path("accounts/<int:account_id>/invite/", views.account_invite, name="survey_account_invite"),
]
