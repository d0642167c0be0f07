from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class VersionConflict(ValidationError):
    """Someone saved the record after the caller read it (optimistic lock)."""

    def __init__(self, message=None):
        super().__init__(
            message
            or _(
                "This record was changed by someone else after you opened it. "
                "Reload to see the current values, then make your change again."
            ),
            code="version_conflict",
        )
