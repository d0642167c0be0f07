"""Owner and department change only through the transfer service (issue 11 item 3)."""

import pytest
from django.core.exceptions import ValidationError

from core.services import ModelService, owner_transfer
from customers.models import Customer
from customers.tests.factories import make_customer, make_followup, reload
from workspace.models import Notification, Todo

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(alice):
    return make_customer(alice, "转移测试有限公司")


def test_generic_update_refuses_an_owner_or_department(customer, bob, alice, charlie):
    service = ModelService(Customer)
    for data in ({"owner": bob}, {"department": charlie.department}, {"owner": bob.pk}):
        with pytest.raises(ValidationError) as error:
            service.update(actor=alice, instance=reload(customer), data=data)
        assert set(error.value.message_dict) <= {"owner", "department"}
    assert reload(customer).owner == alice
    # The same owner again is not a change.
    service.update(actor=alice, instance=reload(customer), data={"owner": alice, "remark": "x"})


def test_transfer_needs_the_permission_and_derives_the_department(customer, alice, manager, charlie):
    with pytest.raises(ValidationError):
        owner_transfer(actor=alice, instance=reload(customer), new_owner=charlie, reason="试试")
    assert reload(customer).owner == alice
    with pytest.raises(ValidationError):
        owner_transfer(actor=manager, instance=reload(customer), new_owner=charlie, reason="")
    owner_transfer(actor=manager, instance=reload(customer), new_owner=charlie, reason="区域调整")
    moved = reload(customer)
    assert moved.owner == charlie and moved.department == charlie.department != alice.department
    assert Notification.objects.filter(recipient=charlie, title__contains=moved.name).exists()


def test_transfer_moves_the_open_todos(customer, alice, manager, charlie):
    from datetime import timedelta

    from django.utils import timezone

    make_followup(alice, customer, next_followup_at=timezone.now() + timedelta(days=1))
    owner_transfer(actor=manager, instance=reload(customer), new_owner=charlie, reason="区域调整")
    assert list(
        Todo.objects.filter(target_id=str(customer.pk), done_at__isnull=True).values_list("owner", flat=True)
    ) == [charlie.pk]


def test_api_edit_cannot_change_the_owner(customer, api, bob, alice):
    response = api("alice").patch(
        f"/api/v1/customers/{customer.pk}/", {"owner": bob.pk, "version": customer.version}, format="json"
    )
    assert response.status_code in (200, 400)
    assert reload(customer).owner == alice


def test_every_owned_model_gets_a_transfer_action(customer, manager, alice, charlie):
    from rest_framework.test import APIRequestFactory, force_authenticate

    from core.api.viewsets import ScopedModelViewSet
    from core.registry import get_config

    # A plain viewset of an owned model (the customers' own bulk transfer aside).
    viewset = type("PlainCustomerViewSet", (ScopedModelViewSet,), {"config": get_config(Customer)})
    view = viewset.as_view({"post": "transfer"})

    def post(user, data):
        request = APIRequestFactory().post("/", data, format="json")
        force_authenticate(request, user=user)
        return view(request, pk=customer.pk)

    assert post(alice, {"owner": charlie.pk, "reason": "x"}).status_code == 403  # no transfer permission
    assert post(manager, {"owner": 10**30, "reason": "x"}).status_code == 400
    assert reload(customer).owner == alice
    response = post(manager, {"owner": charlie.pk, "reason": "区域调整"})
    assert response.status_code == 200, response.data
    assert reload(customer).owner == charlie
