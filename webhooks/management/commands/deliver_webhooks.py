"""Deliver the webhook outbox: `manage.py deliver_webhooks` runs until stopped; `--once` for one pass."""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from webhooks.services import DeliveryPolicy, deliver_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send due webhook deliveries, signed, with retries; runs until SIGTERM/SIGINT. "
        "Several may run at once on PostgreSQL."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass over what is due, then exit.")
        parser.add_argument("--batch", type=int, default=50, help="Deliveries claimed per pass (default 50).")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds to wait when nothing is due.")

    def handle(self, *args, once: bool = False, batch: int = 50, poll: float = 1.0, **options) -> None:
        policy = DeliveryPolicy.from_settings()
        if once:
            sent = deliver_due(policy=policy, limit=batch)
            self.stdout.write(f"Attempted {sent} webhook delivery(ies).")
            return
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("Delivering webhooks; stop with SIGTERM or Ctrl-C.")
        self.stdout.flush()
        while not stopping:
            close_old_connections()  # a long-lived process: drop a connection the database closed
            try:
                attempted = deliver_due(policy=policy, limit=batch)
            except Exception:  # e.g. the database restarting: log, wait, go on (claims are leased)
                logger.exception("deliver_webhooks: a pass failed; retrying")
                attempted = 0
            if attempted == 0:
                time.sleep(poll)
        self.stdout.write("Stopped.")
