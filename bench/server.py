"""The app under test: gunicorn on 127.0.0.1 with its sync workers, and their memory read from /proc."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kib(pid: int, field: str) -> int | None:
    """A field of /proc/<pid>/status (VmRSS, VmHWM) in KiB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Gunicorn:
    """`gunicorn config.wsgi -w N -b 127.0.0.1:<port>` with the given environment; a context manager."""

    def __init__(self, *, env: dict[str, str], workers: int = 2, port: int | None = None, log_path: Path):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
            "--timeout", "300", "--graceful-timeout", "5", "--log-level", "warning",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout}s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                return [int(p) for p in children.read().split()]
        except OSError:
            return []

    def high_water_mb(self) -> dict[int, float]:
        """Each worker's peak resident set since it started (VmHWM), in MB."""
        return {pid: kib / 1024 for pid in self.worker_pids() if (kib := _kib(pid, "VmHWM")) is not None}


class MemorySampler:
    """Samples every worker's resident set (VmRSS) while a job runs; `peak_mb` is the largest seen per worker."""

    def __init__(self, server: Gunicorn, interval: float = 0.05):
        self.server = server
        self.interval = interval
        self.peak_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in self.server.worker_pids():
            kib = _kib(pid, "VmRSS")
            if kib is not None and kib > self.peak_kib.get(pid, 0):
                self.peak_kib[pid] = kib

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float | None:
        return max(self.peak_kib.values()) / 1024 if self.peak_kib else None


def environment(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    return env
