"""System parameters: defaults declared here, values editable by administrators in the UI."""

import time

from django.core.cache import cache

CACHE_KEY = "crm:parameters"

# key: (group, kind, default, Chinese label, English label, description)
DEFAULTS = {
    "company_name": ("company", "text", "关系科技有限公司", "公司名称", "Company name", ""),
    "company_name_en": (
        "company",
        "text",
        "Guanxi Technology Co., Ltd.",
        "公司英文名称",
        "Company name (English)",
        "",
    ),
    "company_logo": (
        "company",
        "image",
        "",
        "公司标志",
        "Company logo",
        "PNG or SVG, shown in the top bar",
    ),
    "company_phone": ("company", "text", "021-12345678", "公司电话", "Company phone", ""),
    "company_address": (
        "company",
        "text",
        "上海市浦东新区世纪大道100号",
        "公司地址",
        "Company address",
        "",
    ),
    "customer_code_pattern": (
        "codes",
        "text",
        "KH{yyyy}{mm}-{seq:06}",
        "客户编号规则",
        "Customer code pattern",
        "{yyyy} {mm} {dd} {seq:06}",
    ),
    "contract_code_pattern": (
        "codes",
        "text",
        "HT{yyyy}{mm}-{seq:05}",
        "合同编号规则",
        "Contract code pattern",
        "",
    ),
    "order_code_pattern": (
        "codes",
        "text",
        "DD{yyyy}{mm}{dd}-{seq:05}",
        "订单编号规则",
        "Order code pattern",
        "",
    ),
    "ticket_code_pattern": (
        "codes",
        "text",
        "GD{yyyy}{mm}{dd}-{seq:05}",
        "工单编号规则",
        "Ticket code pattern",
        "",
    ),
    "reminder_lead_minutes": (
        "reminders",
        "int",
        "30",
        "提醒提前分钟数",
        "Reminder lead time (minutes)",
        "",
    ),
    "contract_expiry_days": (
        "reminders",
        "int",
        "30",
        "合同到期提醒天数",
        "Contract expiry warning (days)",
        "",
    ),
    "care_lookahead_days": (
        "reminders",
        "int",
        "7",
        "客户关怀提前天数",
        "Care reminders look-ahead (days)",
        "",
    ),
    "pool_recycle_days": (
        "pool",
        "int",
        "30",
        "公海回收天数",
        "Pool recycle after (days without follow-up)",
        "",
    ),
    "pool_warning_days": (
        "pool",
        "int",
        "3",
        "回收预警天数",
        "Warn owners (days before recycling)",
        "",
    ),
    "pool_claim_daily_quota": ("pool", "int", "10", "每日领取上限", "Daily claim quota", ""),
    "pool_protection_days": (
        "pool",
        "int",
        "7",
        "领取保护期天数",
        "Protection after a claim (days)",
        "",
    ),
    "customer_owner_cap": ("pool", "int", "1000", "客户拥有上限", "Most customers one user may own", ""),
    "customer_cap_account_manager": ("pool", "int", "500", "客户经理拥有上限", "Cap for account managers", ""),
    "data_review_enabled": ("review", "bool", "0", "启用数据审核", "Data review enabled", ""),
    "data_review_two_levels": ("review", "bool", "0", "启用二级审核", "Second review level", ""),
    # Reading an import file (core/spreadsheet.py): refused over these before any cell is read.
    "import_max_rows": (
        "import",
        "int",
        "200000",
        "导入最多行数",
        "Most rows in an import file",
        "表头不计 / Header not counted",
    ),
    "import_max_columns": ("import", "int", "200", "导入最多列数", "Most columns in an import file", ""),
    "import_max_unpacked_mb": (
        "import",
        "int",
        "200",
        "导入工作簿解压后上限（MB）",
        "Largest unpacked import workbook (MB)",
        "XLSX 是压缩包；解压后超过此值即拒绝 / An XLSX is a zip archive; refused if it unpacks to more",
    ),
    "import_read_memory_mb": (
        "import",
        "int",
        "2048",
        "读取导入文件的内存上限（MB）",
        "Memory for reading an import file (MB)",
        "读取在独立进程中进行，超过即停止 / Reading runs in its own process, stopped beyond this",
    ),
    "attachment_extensions": (
        "attachments",
        "text",
        "doc,docx,xls,xlsx,ppt,pptx,wps,et,pdf,txt,csv,png,jpg,jpeg,gif,webp,zip,rar,7z",
        "允许的附件类型",
        "Allowed attachment types",
        "扩展名，以逗号分隔；网页、SVG、脚本和程序一律拒绝 / "
        "Extensions separated by commas; web pages, SVG, scripts and programs are always refused",
    ),
    "attachment_max_mb": ("attachments", "int", "20", "附件大小上限（MB）", "Largest attachment (MB)", ""),
    "sms_enabled": ("notifications", "bool", "0", "启用短信通知", "SMS notifications enabled", ""),
    "email_enabled": (
        "notifications",
        "bool",
        "1",
        "启用邮件通知",
        "Email notifications enabled",
        "",
    ),
    "api_token_days": (
        "security",
        "int",
        "90",
        "API 令牌有效天数",
        "API token lifetime (days)",
        "New tokens expire after this many days (1-3650)",
    ),
}


def _load():
    from .models import SystemParameter

    values = {key: (spec[1], spec[2]) for key, spec in DEFAULTS.items()}
    for p in SystemParameter.objects.all():
        values[p.key] = (p.kind, p.typed_value)
    return {k: _coerce(kind, v) for k, (kind, v) in values.items()}


def _coerce(kind, value):
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0
    if kind == "bool":
        return value in (True, "1", "true")
    return value


LOCAL_SECONDS = 5
_local = {}  # "values" -> (read at, values): the company name is on every page


def get_parameter(key, default=None):
    # Kept in the process for a few seconds: reading the shared copy cost a Redis round trip
    # and an unpickle per call (~1 ms of a list page). Another worker sees a change after at
    # most LOCAL_SECONDS; this one at once (clear_cache).
    hit = _local.get("values")
    now = time.monotonic()
    if hit is not None and now - hit[0] < LOCAL_SECONDS:
        return hit[1].get(key, default)
    values = cache.get(CACHE_KEY)
    if values is None:
        try:
            values = _load()
        except Exception:  # database not migrated yet (first start, collectstatic)
            return _coerce(DEFAULTS[key][1], DEFAULTS[key][2]) if key in DEFAULTS else default
        cache.set(CACHE_KEY, values, 300)
    _local["values"] = (now, values)
    return values.get(key, default)


def clear_cache():
    _local.clear()
    cache.delete(CACHE_KEY)
