from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from accounts.api.views import ApiTokenViewSet, TokenObtainView, UserViewSet
from accounts.views import set_language
from core.api.routers import CrmRouter
from core.registry import api_routes
from core.views import healthz, readyz
from customers.api.views import CustomerViewSet
from workspace.api.views import NotificationViewSet, TodoViewSet
from workspace.views import home

router = CrmRouter()
api_routes(router, overrides={"accounts.user": UserViewSet, "customers.customer": CustomerViewSet})
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("todos", TodoViewSet, basename="todo")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("basedata/", include("basedata.urls")),
    path("workspace/", include("workspace.urls")),
    path("customers/", include("customers.urls")),
    path("core/", include("core.urls")),
    path("api/v1/auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler403 = "core.views.errors.permission_denied"
handler404 = "core.views.errors.page_not_found"
handler500 = "core.views.errors.server_error"
