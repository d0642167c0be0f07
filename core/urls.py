from django.urls import path

from . import views_search
from .views import autocomplete, files

app_name = "core"

urlpatterns = [
    path("search/", views_search.search, name="search"),
    path("files/<str:model>/<int:pk>/<str:field>/", files.download, name="file"),
    path("autocomplete/<str:label>/", autocomplete.autocomplete, name="autocomplete"),
]
