from core.tests.conftest import english  # noqa: F401  (autouse: messages in English)
