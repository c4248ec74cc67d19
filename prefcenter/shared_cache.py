"""The shared cache (Redis when REDIS_URL is set, else local memory) and what happens when it is unreachable.

Throttle counters and idempotency locks live in the cache; nothing durable does. When a
configured Redis stops answering, each user of the cache degrades deliberately instead of
failing the request with a 500:
- throttles fail open (requests are admitted uncounted),
- writes sent with an idempotency key answer 503 with `Retry-After` (the in-flight lock
  cannot be taken, so the request is not run),
- `/readyz` answers 503 naming the cache.
The first failure of an outage is logged once per process (an error with the reason), and
the first success after it once more, so an outage does not flood the log.
"""

from __future__ import annotations

import logging
import threading

import redis.exceptions
from django.core.cache import cache

logger = logging.getLogger(__name__)

# What a cache backend raises when its server is unreachable or times out.
CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)

_outage = {"down": False}
_outage_lock = threading.Lock()


def cache_failed(where: str, exc: BaseException) -> None:
    """Note a cache failure; logs only the first one of an outage."""
    with _outage_lock:
        first = not _outage["down"]
        _outage["down"] = True
    if first:
        logger.error(
            "shared cache unreachable (%s: %s): throttles admit requests uncounted and idempotent writes "
            "answer 503 until it is back",
            where,
            exc.__class__.__name__,
        )


def cache_answered() -> None:
    """Note a cache success; logs once when it ends an outage."""
    if not _outage["down"]:
        return
    with _outage_lock:
        was_down, _outage["down"] = _outage["down"], False
    if was_down:
        logger.warning("shared cache reachable again")


def cache_status() -> str:
    """'ok', or the reason the cache does not answer (for /readyz): a write and a read-back of a probe key."""
    probe = "readyz:probe"
    try:
        cache.set(probe, 1, timeout=5)
        if cache.get(probe) != 1:
            return "probe key not read back"
    except CACHE_ERRORS as exc:
        cache_failed("readyz", exc)
        return exc.__class__.__name__
    cache_answered()
    return "ok"
