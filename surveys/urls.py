from django.urls import path

from surveys import inapp_views, views

# Mounted at /s/: the public pages, reached from the emailed link, without login.
public_urlpatterns = [
    path("<str:token>/", views.respond, name="survey_respond"),
    path("<str:token>/thanks/", views.thanks, name="survey_thanks"),
]

# Mounted at /surveys/ (login); the results page and its export are web's, at /surveys/ too.
urlpatterns = [
    path("accounts/<int:account_id>/invite/", views.account_invite, name="survey_account_invite"),
]

# Mounted at /inapp/v1/: the in-app widget's calls from a customer's product (no login; the
# public key, the allowed origins and rate limits guard them; surveys/inapp_views.py).
inapp_urlpatterns = [
    path("<str:public_key>/ask", inapp_views.ask, name="inapp_ask"),
    path("<str:public_key>/answer", inapp_views.answer, name="inapp_answer"),
    path("<str:public_key>/dismiss", inapp_views.dismiss, name="inapp_dismiss"),
]
