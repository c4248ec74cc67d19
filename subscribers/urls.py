"""Routes for the subscribers app."""

urlpatterns: list = []
