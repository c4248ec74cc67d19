"""Serializers of the subscribers app, one module per face:

- fields: input fields shared by the faces (channel maps, tags, category keys);
- workflows: the workflow catalog (Novu /v2/workflows);
- subscriber: Novu subscribers (/v2/subscribers);
- preferences: Novu subscriber preferences (seed 002), incl. schedule and bulk;
- teamup: the TeamUp customer notification preference face (seed 000);
- schedule: a customer's schedule and quiet hours (`/v1/customers/{external_id}/schedule`, issue 17).

Output serializers read resolved plain data (subscribers/selectors); none of them decides
anything about delivery.
"""
