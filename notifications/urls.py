from django.urls import path

from notifications import views

# Mounted at /notifications/.
urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("bell/", views.bell, name="notification_bell"),
    path("read/", views.notification_read, name="notification_read"),
    path("preferences/", views.preferences, name="notification_preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notification_unsubscribe"),
]

# Mounted at /slack/: Slack's interactivity request URL.
slack_urlpatterns = [
    path("interactivity/", views.slack_interactivity, name="slack_interactivity"),
]
