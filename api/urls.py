"""/api/v1/: the API authenticates by key, not by session, so its views opt out of the
login-everywhere middleware; the schema and docs page check access themselves."""

from django.contrib.auth.decorators import login_not_required

from api.views import api

patterns, _app_name, app_name = api.urls  # ninja reverses names in the namespace "api"
for pattern in patterns:
    login_not_required(pattern.callback)

urlpatterns = [*patterns]
