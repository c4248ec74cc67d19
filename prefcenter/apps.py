from django.apps import AppConfig


class PrefCenterConfig(AppConfig):
    name = "prefcenter"
    verbose_name = "Prefcenter foundation"

    def ready(self) -> None:
        from prefcenter import schema  # noqa: F401  registers the OpenAPI auth extension
