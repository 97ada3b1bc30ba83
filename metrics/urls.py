from django.urls import path

from metrics import views

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("export.csv", views.portfolio_export, name="portfolio_export"),
    path("drill/<slug:key>/", views.drill, name="portfolio_drill"),
]
