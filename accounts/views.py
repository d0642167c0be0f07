import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import ratelimit
from core.forms import apply_validation_error

from . import services
from .forms import LoginForm, PasswordChangeForm, PasswordResetForm, ProfileForm, TokenCreateForm
from .models import ApiToken, User


def lockout_response(request, credentials=None, *args, **kwargs):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request, data=None)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "locked": True,
            "lock_message": _(
                "This account is locked after %(n)s failed logins. "
                "Try again in %(m)s minutes or ask your administrator."
            )
            % {"n": settings.AXES_FAILURE_LIMIT, "m": minutes},
        },
        status=403,
    )


# Before the form hashes anything: per client IP, then per username (shared with the token endpoint).
@method_decorator(ratelimit.limit("login_ip", key="ip"), name="post")
@method_decorator(ratelimit.limit("username", key=ratelimit.username_key), name="post")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        translation.activate(user.language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                apply_validation_error(form, e)
            else:
                for message in e.messages:
                    form.add_error("new_password1", message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": request.user.must_change_password},
    )


@login_required
def user_reset_password(request, pk):
    user = get_object_or_404(User.objects.visible_to(request.user, "change"), pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=user, new_password=form.cleaned_data["new_password1"])
        except ValidationError as e:
            for message in e.messages:
                form.add_error("new_password1", message)
        else:
            messages.success(
                request,
                _("Password reset; %(user)s must change it at next login.") % {"user": user},
            )
            return redirect(user.get_absolute_url())
    return render(request, "accounts/password_reset.html", {"form": form, "object": user})


@login_required
def profile(request):
    # The form validates a copy: ModelForm writes the submitted values into its instance, and the
    # service must diff against the stored user for the audit entry (and for a failed form, the
    # page must not show the half-applied values as the current user).
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=copy.copy(user), user=request.user)
    new_key = request.session.pop("new_token_key", None)
    if request.method == "POST" and form.is_valid():
        services.user_service.update(actor=request.user, instance=user, data=form.service_data())
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "token_form": TokenCreateForm(),
            "new_key": new_key,
            "token_days": services.token_lifetime().days,
        },
    )


@login_required
@require_POST
def token_add(request):
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        _token, key = services.token_create(user=request.user, name=form.cleaned_data["name"])
        request.session["new_token_key"] = key
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


@require_POST
def set_language(request):
    """Language switch: stored on the user (so it follows them) and in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response
