"""/ingest/: Segment (any path the SDKs post to under /ingest/segment/v1/) and Stripe, public
with their own keys; /connectors/: the admins' inbox."""

from django.urls import path, re_path

from connectors import views

inbox_urlpatterns = [
    path("inbox/", views.connector_inbox, name="connector_inbox"),
    path("inbox/<int:item_id>/map/", views.inbox_map, name="connector_inbox_map"),
    path("<int:connector_id>/dry-run/", views.connector_dry_run, name="connector_dry_run"),
]

urlpatterns = [
    path("segment/v1/", views.segment_ingest, name="segment_ingest"),
    re_path(
        r"^segment/v1/(?P<call>batch|track|identify|group|page|screen)/?$",
        views.segment_ingest,
        name="segment_ingest_call",
    ),
    path("stripe/<int:connector_id>/", views.stripe_webhook, name="stripe_webhook"),
    path("zendesk/<int:connector_id>/", views.zendesk_webhook, name="zendesk_webhook"),
]
