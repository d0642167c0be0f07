"""core/ is the framework: it imports no app built on it (issue 11 item 14).

Apps plug into core through hooks (core.parameters.provide, core.context_processors.
add_shell_context, settings.CRM_AUDIT_MODEL / CRM_DEPARTMENT_MODEL); core's own tests and test
fixtures (the demo personas) may use the apps.
"""

import ast
from pathlib import Path

from django.conf import settings

APPS = {"accounts", "basedata", "workspace", "customers", "sales", "contracts", "service"}


def test_core_imports_no_app():
    core = Path(settings.BASE_DIR) / "core"
    offenders = []
    for path in core.rglob("*.py"):
        parts = path.relative_to(core).parts
        if parts[0] in ("tests", "testing", "migrations"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(core)}: {n}" for n in names if n.split(".")[0] in APPS]
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                label = node.value.split(".")[0]
                if "." in node.value and label in APPS and node.value.count(".") == 1 and node.value[0] != ".":
                    offenders.append(f"{path.relative_to(core)}: '{node.value}'")
    assert not offenders, offenders
