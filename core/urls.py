from django.urls import path

from . import views_search
from .views import files

app_name = "core"

urlpatterns = [
    path("search/", views_search.search, name="search"),
    path("files/<str:model>/<int:pk>/<str:field>/", files.download, name="file"),
]
