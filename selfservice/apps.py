from django.apps import AppConfig


class SelfServiceConfig(AppConfig):
    """The self-service face: the page, signed links and one-click unsubscribe, on top of the domain apps."""

    name = "selfservice"
    verbose_name = "Self-service"
