"""Subscribers endpoints, one module per face:

- workflows: the workflow catalog (Novu /v2/workflows) and its tag/category filter parameters;
- subscriber: Novu subscribers (/v2/subscribers);
- preferences: Novu subscriber preferences (seed 002), single and bulk;
- teamup: the TeamUp customer notification preference face (seed 000);
- schedule: the customer schedule resource (/v1/customers/{external_id}/schedule).

Views only parse, call a selector or a service, and serialize; the rules live in
subscribers/resolution.py and are reached through subscribers/selectors/.
"""
