"""Builders for customers tests: every record goes through the services (house rule 1)."""

import itertools

from django.utils import timezone

_seq = itertools.count(1)


def make_regions():
    """中国 → 北京 → 北京市 → 朝阳区 / 海淀区, 中国 → 广东 → 广州市 → 天河区."""
    from basedata.models import Region

    def r(code, name, name_en, level, parent=None):
        return Region.objects.create(code=code, name=name, name_en=name_en, level=level, parent=parent)

    cn = r("CN", "中国", "China", 0)
    bj = r("110000", "北京", "Beijing", 1, cn)
    bjc = r("110100", "北京市", "Beijing City", 2, bj)
    cy = r("110105", "朝阳区", "Chaoyang", 3, bjc)
    hd = r("110108", "海淀区", "Haidian", 3, bjc)
    gd = r("440000", "广东", "Guangdong", 1, cn)
    gz = r("440100", "广州市", "Guangzhou", 2, gd)
    th = r("440106", "天河区", "Tianhe", 3, gz)
    return {"cn": cn, "bj": bj, "bjc": bjc, "cy": cy, "hd": hd, "gd": gd, "gz": gz, "th": th}


def set_parameter(key, value):
    from basedata.models import SystemParameter
    from basedata.parameters import DEFAULTS, clear_cache

    group, kind, _default, label, label_en, _desc = DEFAULTS[key]
    SystemParameter.objects.update_or_create(
        key=key, defaults={"value": str(value), "kind": kind, "group": group, "label": label, "label_en": label_en}
    )
    clear_cache()


def unique_name(prefix="测试客户"):
    return f"{prefix}{next(_seq)}号"


def make_customer(actor, name=None, **data):
    from customers.services import customer_service

    data["name"] = unique_name() if name is None else name
    return customer_service.create(actor=actor, data=data)


def make_contact(actor, customer, name="王华", **data):
    from customers.services import contact_service

    return contact_service.create(actor=actor, data={"customer": customer, "name": name, **data})


def make_followup(actor, customer, summary="电话沟通", **data):
    from customers.services import followup_service

    data.setdefault("happened_at", timezone.now())
    return followup_service.create(actor=actor, data={"customer": customer, "summary": summary, **data})


def reload(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


def audit(action=None, obj=None, **filters):
    from accounts.models import AuditEntry

    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action=action)
    if obj is not None:
        qs = qs.for_object(obj)
    return qs.filter(**filters)


def xlsx_bytes(header, rows):
    """A one-sheet workbook: `header` then `rows`."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, header)
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, row)
    book.close()
    return buffer.getvalue()
