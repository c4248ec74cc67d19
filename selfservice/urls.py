"""Self-service routes (the face on top): the page, one-click unsubscribe, its assets, and the link API."""

from django.urls import re_path

from selfservice import shell
from selfservice import views as selfservice

TOKEN = r"(?P<token>[A-Za-z0-9_:\-]{1,512})"

urlpatterns: list = [
    re_path(rf"^p/{TOKEN}/?$", selfservice.preferences_page, name="selfservice-preferences"),
    re_path(rf"^u/{TOKEN}/?$", selfservice.unsubscribe_page, name="selfservice-unsubscribe"),
    re_path(r"^assets/selfservice/page\.(?P<version>[0-9a-f]{16})\.js$", shell.script_view, name="selfservice-script"),
    re_path(r"^assets/logos/(?P<sha256>[0-9a-f]{64})$", shell.logo_view, name="selfservice-logo"),
    re_path(
        r"^v1/customers/(?P<external_id>[^/]+)/preference-links/?$",
        selfservice.PreferenceLinksView.as_view(),
        name="preference-links",
    ),
    re_path(
        r"^v1/customers/(?P<external_id>[^/]+)/revoke-links/?$",
        selfservice.RevokeLinksView.as_view(),
        name="revoke-links",
    ),
]
