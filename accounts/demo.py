"""Demo organisation: departments, positions, the standard roles and the seven demo logins.

Also used by the test personas (core/testing/personas.py), so tests and demo share one org.
"""

from django.db import transaction

from core.demo import ROLE_GRANTS, grant, register_seeder, resolve_permissions
from core.scopes import DataScope

DEMO_PASSWORD = "demo-pass-2026"

DEPARTMENTS = [
    # code, name, name_en, parent code
    ("HQ", "总公司", "Head office", None),
    ("MGMT", "管理层", "Management", "HQ"),
    ("SALES", "销售部", "Sales", "HQ"),
    ("SALES-E", "华东销售部", "Sales East", "SALES"),
    ("SALES-N", "华北销售部", "Sales North", "SALES"),
    ("CS", "客服部", "Customer Service", "HQ"),
    ("IT", "信息部", "IT", "HQ"),
]
POSITIONS = [
    ("GM", "总经理", "General manager"),
    ("SM", "销售主管", "Sales manager"),
    ("AM", "客户经理", "Account manager"),
    ("CSR", "客服专员", "Customer service agent"),
    ("SYS", "系统管理员", "System administrator"),
]
ROLES = [
    # code, name, name_en, scope, description
    ("admin", "系统管理员", "System administrator", DataScope.ALL, "全部功能与数据 / everything"),
    (
        "sales_manager",
        "销售主管",
        "Sales manager",
        DataScope.DEPARTMENT_TREE,
        "本部门及下级部门 / own department tree",
    ),
    ("account_manager", "客户经理", "Account manager", DataScope.OWN, "本人数据 / own records"),
    ("executive", "高管", "Executive", DataScope.ALL, "只读全部 / read-only, everything"),
    ("customer_service", "客服", "Customer service", DataScope.OWN, "服务工单 / service"),
]
USERS = [
    # username, name, department, position, roles, manager, is_superuser, language
    ("admin", "系统管理员", "IT", "SYS", ["admin"], None, True, "zh-hans"),
    ("manager", "王建国", "SALES", "SM", ["sales_manager"], None, False, "zh-hans"),
    ("alice", "李爱丽", "SALES-E", "AM", ["account_manager"], "manager", False, "zh-hans"),
    ("bob", "张伯文", "SALES-E", "AM", ["account_manager"], "manager", False, "en"),
    ("charlie", "陈查理", "SALES-N", "AM", ["account_manager"], "manager", False, "zh-hans"),
    ("exec", "赵总", "MGMT", "GM", ["executive"], None, False, "zh-hans"),
    ("agent", "周小客", "CS", "CSR", ["customer_service"], None, False, "zh-hans"),
]

FOUNDATION_VIEW = [
    "accounts.department:view",
    "accounts.position:view",
    "basedata.dicttype:view",
    "basedata.dictitem:view",
    "basedata.region:view",
]
grant(
    "admin",
    "accounts.user:*",
    "accounts.department:*",
    "accounts.position:*",
    "accounts.role:*",
    "accounts.auditentry:*",
    "accounts.view_all_audit",  # in :* already; named because it lifts the data scope on the log
    "basedata.dicttype:*",
    "basedata.dictitem:*",
    "basedata.region:*",
    "basedata.systemparameter:*",
)
grant("sales_manager", *FOUNDATION_VIEW, "accounts.user:view,export", "accounts.auditentry:view")
grant("account_manager", *FOUNDATION_VIEW)
grant(
    "executive",
    *FOUNDATION_VIEW,
    "accounts.user:view",
    "accounts.role:view",
    "accounts.auditentry:view,export",
    "basedata.systemparameter:view",
)
grant("customer_service", *FOUNDATION_VIEW)


@transaction.atomic
def seed_organisation(password=DEMO_PASSWORD):
    """Create (or refresh) departments, positions, roles and demo users. Returns {username: user}."""
    from django.contrib.auth.hashers import make_password
    from django.utils.module_loading import autodiscover_modules

    # Every app's grants, whatever the caller imported: roles are set to exactly ROLE_GRANTS, so
    # a caller that had loaded only some apps' demo modules stripped the others' permissions.
    autodiscover_modules("demo")

    from .models import Department, Position, Role, User

    departments = {}
    for code, name, name_en, parent in DEPARTMENTS:
        d, _ = Department.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "parent": departments.get(parent)},
        )
        d.path = (departments[parent].path if parent else "/") + f"{d.pk}/"
        Department.objects.filter(pk=d.pk).update(path=d.path)
        departments[code] = d
    positions = {
        code: Position.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})[0]
        for code, name, name_en in POSITIONS
    }
    roles = {}
    for code, name, name_en, scope, description in ROLES:
        role, _ = Role.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "data_scope": scope,
                "description": description,
            },
        )
        role.permissions.set(resolve_permissions(ROLE_GRANTS[code]))
        roles[code] = role
    hashed = make_password(password)
    users = {}
    for username, name, dept, position, role_codes, manager, superuser, language in USERS:
        user, created = User.objects.get_or_create(username=username)
        user.name = name
        user.email = f"{username}@guanxi.example"
        user.department = departments[dept]
        user.position = positions[position]
        user.manager = users.get(manager)
        user.is_superuser = superuser
        user.is_staff = superuser
        user.language = language
        if created:
            user.password = hashed
        user.save()
        user.roles.set([roles[c] for c in role_codes])
        users[username] = user
    Department.objects.filter(code="SALES").update(manager=users["manager"])
    return users


def seed(stdout=None, **options):
    users = seed_organisation()
    if stdout:
        stdout.write(f"organisation: {len(DEPARTMENTS)} departments, {len(ROLES)} roles, {len(users)} users")
    return users


register_seeder(10, seed)
