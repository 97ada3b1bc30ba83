from django.urls import path

from accounts import search_views

urlpatterns = [
    path("", search_views.search_page, name="search"),
    path("suggest/", search_views.search_suggestions, name="search_suggest"),
    path("groups/", search_views.group_suggestions_view, name="group_suggest"),
]
