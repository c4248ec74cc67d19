"""Routes for the messaging app."""

urlpatterns: list = []
