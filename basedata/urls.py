from django.urls import path

from core.registry import urls_for_app

from . import views

app_name = "basedata"

urlpatterns = [
    path("regions/options/", views.region_options, name="region_options"),
    *urls_for_app("basedata"),
]
