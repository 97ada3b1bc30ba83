from django.urls import path

from audit import views

urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("export/", views.audit_export, name="audit_export"),
]
