"""Production settings refuse unsafe configurations; the safe one passes check --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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


def import_settings(env):
    """Import the settings module alone, as a server process would at start."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CRM_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL"))
    }
    base["CRM_DATA_DIR"] = str(ROOT / "var" / "settings-test")
    return subprocess.run(
        [sys.executable, "-c", "import crm.settings"],
        cwd=ROOT,
        env={**base, "ALLOWED_HOSTS": "crm.example.com", "DEBUG": "0", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("crm_env", ["Production", "PRODUCTION", " production "])
def test_production_in_any_case_refuses_a_weak_key(crm_env):
    result = import_settings({"CRM_ENV": crm_env, "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "CRM_ENV=production refuses to start" in result.stderr
    assert "SECRET_KEY must be a random value" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "x" * 60,  # one repeated character
        "abcdefghi" * 6,  # nine different characters
        "0123456789" * 6,  # a repeated block
        "Kx7$pLz!2mX#4rT8wY@1nB6cV0sD3fG5hJqW9eRtUiOp&*aSd"[:49],  # 49 characters
        "dev-insecure-guanxi-secret-key-change-me-" + "Q7v$9pLz!2mX#4rT8wY",  # the default, padded
    ],
)
def test_production_refuses_low_variety_secret_keys(key):
    result = import_settings({"CRM_ENV": "Production", "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY must be a random value" in result.stderr


def test_production_accepts_a_random_secret_key():
    result = import_settings({"CRM_ENV": "Production", "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_name_is_refused():
    result = import_settings({"CRM_ENV": "prod", "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode != 0
    assert "CRM_ENV must be development or production" in result.stderr


def test_a_malformed_trusted_proxy_is_refused():
    result = import_settings({"CRM_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/33"})
    assert result.returncode != 0
    assert "CRM_TRUSTED_PROXIES: '10.0.0.0/33'" in result.stderr
    assert import_settings({"CRM_TRUSTED_PROXIES": " 127.0.0.1 , 10.0.0.0/8,::1"}).returncode == 0
