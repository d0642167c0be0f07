"""Data scope by construction: base-class order does not matter, and `manage.py check` refuses an
owned model that skips its scope or a business model that never decided one (issue 11 item 1)."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

from core.checks import scope_problems
from core.models import BusinessModel, OwnedModel
from core.scopes import DataScope


def _sql(queryset):
    return queryset.query.get_compiler(using=queryset.db).as_sql()[0]


@pytest.fixture
def registry():
    """An isolated model registry that still resolves the owner and department relations."""
    from accounts.models import Department, User

    with isolate_apps("core") as apps:
        apps.register_model("accounts", User)
        apps.register_model("accounts", Department)
        yield apps


def _own_user():
    from accounts.models import User

    user = User(pk=7, username="probe")
    user._crm_scope = DataScope.OWN
    return user


def test_owned_scope_whatever_the_base_class_order(registry):
    class BusinessFirst(BusinessModel, OwnedModel):
        class Meta:
            app_label = "core"

    class OwnedFirst(OwnedModel, BusinessModel):
        class Meta:
            app_label = "core"

    for model in (BusinessFirst, OwnedFirst):
        where = _sql(model.scope_queryset(model._base_manager.all(), _own_user(), "view")).partition(" WHERE ")[2]
        assert "owner_id" in where, model
        assert model.objects.__class__.__name__ == "AliveManager"  # the recycle bin stays hidden
    assert scope_problems([BusinessFirst, OwnedFirst]) == []


def test_check_refuses_an_owned_model_whose_scope_forgets_the_owner(registry):
    class Leaky(BusinessModel, OwnedModel):
        class Meta:
            app_label = "core"

        @classmethod
        def scope_queryset(cls, queryset, user, action):
            return queryset

    problems = scope_problems([Leaky])
    assert [code for _model, _message, code in problems] == ["crm.E011"]


def test_check_refuses_a_business_model_without_a_scope_decision(registry):
    class Undecided(BusinessModel):
        title = models.CharField(max_length=10)

        class Meta:
            app_label = "core"

    class Decided(BusinessModel):
        DATA_SCOPE = "global"

        class Meta:
            app_label = "core"

    assert [code for _m, _msg, code in scope_problems([Undecided, Decided])] == ["crm.E012"]


@pytest.mark.django_db
def test_the_project_passes_its_own_scope_check():
    from django.apps import apps

    assert scope_problems(apps.get_models()) == []
