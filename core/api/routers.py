"""The API router: record ids in URLs are digits, for every viewset."""

from rest_framework.routers import DefaultRouter


class CrmRouter(DefaultRouter):
    """DRF's default lookup pattern (`[^/.]+`) let `/customers/null,null/claim/` or
    `/customers/false/assign/` reach the view, whose id lookup then raised ValueError (a 500).
    Every id here is an integer primary key, so anything but digits is no route (404) unless a
    viewset declares its own `lookup_value_regex`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+" if self._use_regex else "int"
