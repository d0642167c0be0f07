from django.urls import path

from core.registry import urls_for_app

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/add/", views.token_add, name="token_add"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    *urls_for_app("accounts"),
]
