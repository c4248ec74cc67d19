from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from prefcenter import ledger
        from webhooks.outbox import outbox_write

        ledger.add_listener(outbox_write)
