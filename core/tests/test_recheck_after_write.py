"""After every create, update, bulk edit or import row the writer must still be able to reach the
record, checked in the same transaction; otherwise nothing is saved (issue 11 item 2)."""

import pytest
from django.core.exceptions import ValidationError

from core.services import ModelService
from customers.models import Contact
from customers.services import contact_service, customer_service
from customers.tests.factories import make_contact, make_customer, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(alice, bob):
    mine = make_customer(alice, "爱丽丝自己的公司")
    theirs = make_customer(bob, "鲍勃的公司")
    return mine, theirs, make_contact(alice, mine, "张三")


def test_update_that_moves_a_child_out_of_scope_is_undone(alice, records):
    mine, theirs, contact = records
    version = contact.version
    # The generic service (a model without the contact's own "customer is fixed" rule).
    with pytest.raises(ValidationError, match="data scope|数据权限"):
        ModelService(Contact).update(actor=alice, instance=contact, data={"customer": theirs})
    assert reload(contact).customer_id == mine.pk
    assert reload(contact).version == version


def test_create_outside_scope_is_undone(alice, records):
    _mine, theirs, _contact = records
    before = Contact.objects.count()
    with pytest.raises(ValidationError):
        contact_service.create(actor=alice, data={"customer": theirs, "name": "李四"})
    assert Contact.objects.count() == before


def test_in_scope_writes_pass_and_system_writes_are_not_checked(alice, records):
    mine, theirs, contact = records
    assert contact_service.update(actor=alice, instance=contact, data={"name": "张三丰"}).name == "张三丰"
    assert contact_service.create(actor=None, data={"customer": theirs, "name": "王五"}).pk


def test_pool_import_is_a_deliberate_exit(alice):
    customer = customer_service.create(actor=alice, data={"name": "公海导入公司"}, to_pool=True)
    assert reload(customer).in_pool and reload(customer).owner_id is None


def test_api_update_out_of_scope_answers_400_and_changes_nothing(api, records):
    mine, theirs, contact = records
    response = api("alice").patch(
        f"/api/v1/contacts/{contact.pk}/", {"customer": theirs.pk, "version": contact.version}, format="json"
    )
    assert response.status_code == 400
    assert reload(contact).customer_id == mine.pk


def test_every_service_subclass_is_wrapped():
    class Custom(ModelService):
        def create(self, *, actor, data):
            return None

    assert getattr(Custom.create, "_crm_rechecked", False)
    assert getattr(Custom.update, "_crm_rechecked", False)
