from django.contrib import admin
from django.urls import include, path

from accounts.sso_views import sign_out
from config.views import LoginView, healthz
from connectors.urls import inbox_urlpatterns as connector_inbox_urls
from notifications.urls import slack_urlpatterns as notification_slack_urls
from surveys.urls import inapp_urlpatterns as survey_inapp_urls
from surveys.urls import public_urlpatterns as survey_public_urls

# A lost database connection is a 503 page with Retry-After, anything else a plain 500 page.
handler500 = "config.views.server_error"

admin.site.site_header = "Northstar administration"
admin.site.site_title = "Northstar admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", LoginView.as_view(redirect_authenticated_user=True), name="login"),
    # Also ends the identity provider's session after a single sign-on (accounts/sso_views.py).
    path("logout/", sign_out, name="logout"),
    path("oidc/", include("accounts.sso_urls")),  # single sign-on (docs/sso.md)
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("ingest/", include("connectors.urls")),  # sources push here, each with its own key
    path("connectors/", include(connector_inbox_urls)),
    path("audit/", include("audit.urls")),  # the audit log, for admins
    path("notifications/", include("notifications.urls")),
    path("slack/", include(notification_slack_urls)),  # Slack's buttons, by its signature
    path("health/lab/", include("healthscores.lab_urls")),
    path("search/", include("accounts.search_urls")),
    path("surveys/", include("surveys.urls")),
    path("s/", include(survey_public_urls)),  # public survey pages (no login)
    path("inapp/v1/", include(survey_inapp_urls)),  # the in-app widget, from customers' products
    path("", include("playbooks.urls")),
    # The pages that compose several apps (accounts list, 360 page and its actions, portfolio,
    # survey results), each at its old path.
    path("", include("web.urls")),
]
