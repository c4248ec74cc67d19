"""Writes of the subscribers app, one module per concern:

- catalog: the workflow catalog (create, update, delete);
- preferences: workflow preferences, one change or bulk;
- profiles: Novu subscribers (upsert, update) and their schedule and quiet hours.

Preference services lock the customer row first, so every preference write of one
customer serializes (no lost update, no duplicate row) on SQLite and PostgreSQL; they
write only what changes and record every changed value in the ledger in the same
transaction (subject `workflow:<identifier>`, or `workflow:*` for the global row).
Nothing changes → no save and no event.
"""
