"""Production settings refuse unsafe configurations; the safe one passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "Q7v$9pLz!2mX#4rT8wY@1nB6cV0sD3fG5hJ"


def manage(*args, env):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CRM_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL"))
    }
    base["CRM_DATA_DIR"] = str(ROOT / "var" / "settings-test")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_default_secret_key():
    result = manage("check", env={"CRM_ENV": "production", "ALLOWED_HOSTS": "crm.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = manage(
        "check", env={"CRM_ENV": "production", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "crm.example.com", "DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_safe_settings_pass_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"CRM_ENV": "production", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "crm.example.com", "DEBUG": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
