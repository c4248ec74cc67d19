"""Face routes (top of the stack): self-service page, signed links, one-click unsubscribe, delivery evaluation."""

urlpatterns: list = []
