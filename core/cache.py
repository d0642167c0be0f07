"""Django's Redis cache with one client per connection pool.

Django builds a new `redis.Redis` for every cache call, and each construction fills a table of
~170 response callbacks: with the five or six cache reads of a page that was ~1 ms of a list
request's CPU. A `redis.Redis` is thread-safe (it takes connections from its pool), so one per
pool serves every thread of the process.
"""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from . import context


def shared():
    """Whether the default cache is shared by all of the server's processes (Redis): only then
    may a process keep what it derived until another process announces a change there.
    LocMemCache is per process; CRM_SHARED_CACHE overrides (tests within one process)."""
    setting = getattr(settings, "CRM_SHARED_CACHE", None)
    if setting is not None:
        return setting
    return "locmem" not in settings.CACHES["default"]["BACKEND"].lower()


def read_versions(keys):
    """{key: version} of version keys in one cache round trip, read once per request.

    A version is random, not a counter: after the cache is cleared (or evicts the key) a
    process must not take what it kept under an old version for current.
    """
    memo = context.memo()
    known = memo if memo is not None else {}
    wanted = [key for key in keys if key not in known]
    found = cache.get_many(wanted) if wanted else {}
    versions = {}
    for key in keys:
        version = known.get(key) or found.get(key) or cache.get_or_set(key, lambda: uuid.uuid4().hex, None)
        versions[key] = version
        if memo is not None:
            memo[key] = version
    return versions


def replace_version(key):
    """Give `key` a new version: whatever was kept under the old one is not used again."""
    version = uuid.uuid4().hex
    cache.set(key, version, None)
    memo = context.memo()
    if memo is not None:
        memo[key] = version


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
