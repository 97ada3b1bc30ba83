from django.urls import path

from healthscores import views

urlpatterns = [
    # Alert actions and CSM sentiment, posted from the account 360 page.
    path(
        "alerts/<int:alert_id>/acknowledge/",
        views.alert_acknowledge_view,
        name="alert_acknowledge",
    ),
    path("alerts/<int:alert_id>/close/", views.alert_close_view, name="alert_close"),
    path(
        "accounts/<int:account_id>/sentiment/",
        views.sentiment_override_create_view,
        name="sentiment_override_create",
    ),
]
