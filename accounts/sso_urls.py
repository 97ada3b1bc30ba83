from django.urls import path

from accounts.sso_views import SsoCallback, SsoStart

urlpatterns = [
    path("authenticate/", SsoStart.as_view(), name="oidc_authenticate"),
    path("callback/", SsoCallback.as_view(), name="oidc_callback"),
]
