from django.apps import AppConfig


class PrefCenterConfig(AppConfig):
    name = "prefcenter"
    verbose_name = "Prefcenter foundation"

    def ready(self) -> None:
        from prefcenter import ledger, schema  # noqa: F401  schema registers the OpenAPI auth extension
        from prefcenter.credentials import api_keys_forget
        from prefcenter.idempotency import records_forget

        # An erased customer's copies in the foundation's own tables (docs/compliance.md, Erasure).
        ledger.add_erasure_listener(api_keys_forget)
        ledger.add_erasure_listener(records_forget)
