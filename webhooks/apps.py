from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from prefcenter import ledger
        from webhooks.outbox import outbox_write
        from webhooks.services import deliveries_pseudonymise

        ledger.add_listener(outbox_write)
        ledger.add_erasure_listener(deliveries_pseudonymise)
