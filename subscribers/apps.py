from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self) -> None:
        from subscribers import catalog

        catalog.connect()  # a new catalog revision on every workflow or category write
