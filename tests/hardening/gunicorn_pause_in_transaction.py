"""A gunicorn config for the SIGKILL test (test-only; product code has no hook).

In each worker, `prefcenter.ledger.record` is wrapped: after the change and its ledger
events are written, and before the service's transaction commits, the worker writes
its pid to $HARDENING_PAUSE_MARKER and sleeps, so the test can SIGKILL it mid-transaction.
Only the first write in the server's life pauses (the marker then exists), so the
worker the arbiter boots next serves normally.
"""

import os
import time


def post_worker_init(worker):
    from prefcenter import ledger

    marker = os.environ["HARDENING_PAUSE_MARKER"]
    record = ledger.record

    def record_then_pause(**kwargs):
        events = record(**kwargs)
        if not os.path.exists(marker):
            with open(marker + ".tmp", "w") as out:
                out.write(str(os.getpid()))
            os.replace(marker + ".tmp", marker)
            time.sleep(120)
        return events

    ledger.record = record_then_pause
