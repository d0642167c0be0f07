"""System parameters as the framework reads them, without knowing where they are stored.

The app that stores parameters (basedata: the editable SystemParameter table) registers its
reader with `provide()` in its AppConfig.ready; core and every module call `get_parameter()`.
Before a provider exists (early start-up, tests of core alone) the caller's default is returned.
"""

_provider = None


def provide(reader):
    """reader(key, default) -> value, typed as declared."""
    global _provider
    _provider = reader


def get_parameter(key, default=None):
    if _provider is None:
        return default
    return _provider(key, default)
