from django.urls import path

from core.registry import urls_for_app

from . import views

app_name = "customers"

urlpatterns = [
    path("pool/", views.pool, name="pool"),
    path("pool/batch/", views.pool_batch, name="pool_batch"),
    path("customers/<int:pk>/claim/", views.claim, name="customer_claim"),
    path("customers/<int:pk>/assign/", views.assign, name="customer_assign"),
    path("customers/<int:pk>/release/", views.release, name="customer_release"),
    path("customers/<int:pk>/merge/", views.merge, name="customer_merge"),
    path("customers/<int:pk>/review/", views.review, name="customer_review"),
    path("customers/bulk/<str:action>/", views.bulk_action, name="customer_bulk_action"),
    path("duplicate-check/", views.duplicate_check, name="duplicate_check"),
    path("care/", views.care, name="care"),
    path("overview/", views.overview, name="overview"),
    path("overview/<str:dimension>.json", views.overview_data, name="overview_data"),
    *urls_for_app("customers"),
]
