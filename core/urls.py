from django.urls import path

from . import views_search

app_name = "core"

urlpatterns = [
    path("search/", views_search.search, name="search"),
]
