"""Customer routes: Reach resources under /api/resources, TeamUp profiles under /api/v2."""

from django.urls import include, path

from customers.views import CustomerViewSet, ReachCustomerViewSet
from prefcenter.routers import OptionalSlashRouter

reach = OptionalSlashRouter()
reach.register("api/resources/customers", ReachCustomerViewSet, basename="reach-customer")
teamup = OptionalSlashRouter()
teamup.register("api/v2/customers", CustomerViewSet, basename="customer")

urlpatterns = [path("", include(reach.urls)), path("", include(teamup.urls))]
