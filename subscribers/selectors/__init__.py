"""Reads of the workflow catalog and the set-based loader that feeds the resolution rules.

The loader gathers every layer `resolve()` reads (subscribers/resolution.py) in a fixed
number of queries, whatever the number of customers or workflows:

- `layers.resolution_layers(tenant=, workflow=, customers=)`: N customers x one workflow —
  2 queries (workflow preferences, category preferences) given customer objects,
  +1 if `customers` is an unevaluated queryset. For the evaluation API and bulk sends.
- `recipients.shared_resolution_layers(tenant=, workflow=, external_ids=)`: the same for up to
  10,000 external ids in 1 query (customers and their four possible rows, joined in Python),
  read as tuples; customers whose rule-relevant rows are equal share one
  `CustomerLayers` (most have no explicit choice), so callers decide once per group.
- `resolutions.customer_resolutions(tenant=, customer=)`: one customer x every workflow of the
  tenant — 3 queries (the catalog revision, workflow preferences, category preferences;
  +1 for the workflows when this process has not seen that revision: subscribers/catalog.py).
  For the Novu GET, the TeamUp face and the self-service page.
- `bulk.customers_decisions`: many customers (CSV export).
- `workflows`: catalog reads and filters; `search`: Novu subscriber search.
- `recipients.shared_delivery_layers(...)`: `shared_resolution_layers` plus each customer's delivery window
  (zone, schedule, quiet hours) in the same 1 query; `schedule`: one customer's schedule resource and
  window (docs/schedules.md).

Nothing here decides anything: it only turns rows into the plain dataclasses.
"""
