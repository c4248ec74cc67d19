"""What the preference page shows: one customer's catalog, choices and effective state.

Everything effective comes from the resolution engine (subscribers/resolution.py) via the
set-based loader (subscribers/selectors/); this package only arranges its answers for the
page and says which controls a customer may change and why not. No rule is decided here.

- labels: channel, digest and lock labels (translated), and what a category's decisions are;
- model: the page's plain data (PageState, CategorySection, WorkflowRow, Control);
- sections: one function per section of the page (the channel switches and SMS consent, a topic,
  a notification row);
- page: `page_state(customer=)`, which puts the sections in page order.

A fixed number of queries whatever the size of the catalog: the loader's 3, the category
catalog, and the customer's category preferences.
"""
