"""Routes for the subscribers app: /v2 (Novu), the TeamUp notification preference face under /api/v2/customers,
and delivery evaluation / explain (beside the resolution engine they use)."""

from django.urls import include, path, re_path

from prefcenter.routers import OptionalSlashRouter
from subscribers.evaluation import deliveries, explain
from subscribers.views.preferences import SubscriberPreferencesBulkView, SubscriberPreferencesView
from subscribers.views.schedule import CustomerScheduleView
from subscribers.views.subscriber import SubscriberViewSet
from subscribers.views.teamup import NotificationPreferenceDetailView, NotificationPreferenceListView
from subscribers.views.workflows import WorkflowViewSet

router = OptionalSlashRouter()
router.register("v2/workflows", WorkflowViewSet, basename="workflow")
router.register("v2/subscribers", SubscriberViewSet, basename="subscriber")

urlpatterns = [
    re_path(
        r"^v2/subscribers/(?P<subscriberId>[^/]+)/preferences/bulk/?$",
        SubscriberPreferencesBulkView.as_view(),
        name="subscriber-preferences-bulk",
    ),
    re_path(
        r"^v2/subscribers/(?P<subscriberId>[^/]+)/preferences/?$",
        SubscriberPreferencesView.as_view(),
        name="subscriber-preferences",
    ),
    re_path(
        r"^api/v2/customers/(?P<id>[^/]+)/notification_preferences/?$",
        NotificationPreferenceListView.as_view(),
        name="customer-notification-preferences",
    ),
    re_path(
        r"^api/v2/customers/(?P<id>[^/]+)/notification_preferences/(?P<notification_preference_id>[^/]+)/?$",
        NotificationPreferenceDetailView.as_view(),
        name="customer-notification-preference",
    ),
    re_path(
        r"^v1/customers/(?P<external_id>[^/]+)/schedule/?$", CustomerScheduleView.as_view(), name="customer-schedule"
    ),
    re_path(r"^v1/deliveries/evaluate/?$", deliveries.DeliveryEvaluationView.as_view(), name="delivery-evaluate"),
    re_path(
        r"^v2/subscribers/(?P<subscriberId>[^/]+)/preferences/explain/?$",
        explain.PreferenceExplainView.as_view(),
        name="preference-explain",
    ),
    path("", include(router.urls)),
]
