"""The load driver: N threads, each with its own keep-alive `http.client` connection, on loopback.

Bounded by a request count and a time limit, whichever comes first. Latency is measured
around one request/response exchange (connect included when the server closed the
connection: gunicorn's sync workers close after every response).
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    completed: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    first_error: str = ""

    def add(self, other: Outcome) -> None:
        """Fold another slice of the same variant into this one (alternated rounds)."""
        self.completed += other.completed
        self.errors += other.errors
        self.elapsed += other.elapsed
        self.latencies_ms += other.latencies_ms
        self.first_error = self.first_error or other.first_error

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile of the successful requests' latencies, in milliseconds."""
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


def drive(
    *, port: int, requests: list[Request], concurrency: int, max_requests: int, max_seconds: float
) -> Outcome:
    """Send `requests` in order (each at most once) from `concurrency` threads until a bound is hit.

    A response outside 2xx counts as an error (its latency is not kept); the first one's
    status and body are kept for the report.
    """
    limit = min(max_requests, len(requests))
    counter = itertools.count()
    lock = threading.Lock()
    outcome = Outcome()
    deadline = time.perf_counter() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies: list[float] = []
        done = errors = 0
        first_error = ""
        try:
            while time.perf_counter() < deadline:
                with lock:
                    index = next(counter)
                if index >= limit:
                    break
                request = requests[index]
                started = time.perf_counter()
                try:
                    conn.request(request.method, request.path, body=request.body, headers=request.headers)
                    response = conn.getresponse()
                    payload = response.read()
                    status = response.status
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    status, payload = 0, repr(exc).encode()
                took = (time.perf_counter() - started) * 1000
                if 200 <= status < 300:
                    done += 1
                    latencies.append(took)
                else:
                    errors += 1
                    if not first_error:
                        text = payload[:300].decode(errors="replace")
                        first_error = f"{request.method} {request.path} → {status}: {text}"
        finally:
            conn.close()
        with lock:
            outcome.completed += done
            outcome.errors += errors
            outcome.latencies_ms.extend(latencies)
            if first_error and not outcome.first_error:
                outcome.first_error = first_error

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.elapsed = time.perf_counter() - started
    return outcome
