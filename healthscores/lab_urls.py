from django.urls import path

from healthscores import lab_views

urlpatterns = [
    path("", lab_views.health_lab, name="health_lab"),
]
