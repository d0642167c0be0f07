"""SMS gateways. Production plugs a provider in through settings.CRM_SMS_GATEWAY."""

import abc
import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("crm.sms")


class SmsGateway(abc.ABC):
    @abc.abstractmethod
    def send(self, phone: str, text: str) -> bool:
        """Send `text` to `phone`; return True when the provider accepted it."""


class LoggingSmsGateway(SmsGateway):
    """Default: writes the message to the log instead of sending it."""

    sent: list = []  # last messages, for tests and the demo

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)
        LoggingSmsGateway.sent.append((phone, text))
        del LoggingSmsGateway.sent[:-100]
        return True


def gateway() -> SmsGateway:
    return import_string(settings.CRM_SMS_GATEWAY)()
