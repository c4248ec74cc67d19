"""Routes of the hand-written benchmark views; included by config/urls.py only when PREFCENTER_BENCH_VIEWS=1."""

from django.urls import re_path

from bench import limit, views

urlpatterns = [
    re_path(r"^bench/hand/reach/(?P<external_id>[^/]+)/?$", views.reach_customer_patch),
    re_path(r"^bench/hand/messaging/preferences/?$", views.messaging_preference_put),
    re_path(r"^bench/hand/novu/(?P<subscriber_id>[^/]+)/preferences/?$", views.novu_preferences_get),
    re_path(r"^bench/hand/novu/(?P<subscriber_id>[^/]+)/preferences/patch/?$", views.novu_preferences_patch),
    re_path(
        r"^bench/hand/teamup/(?P<customer_id>\d+)/notification_preferences/(?P<preference_id>[^/]+)/?$",
        views.teamup_preference_patch,
    ),
    re_path(r"^bench/hand/deliveries/evaluate/?$", views.deliveries_evaluate),
    re_path(r"^bench/hand/p/(?P<token>[^/]+)/?$", views.selfservice_page),
]

# The limit (bench/limit.py): the least database work each job needs, no framework, no authentication.
urlpatterns += [
    re_path(r"^bench/limit/reach/(?P<external_id>[^/]+)/?$", limit.reach_customer_patch),
    re_path(r"^bench/limit/messaging/preferences/?$", limit.messaging_preference_put),
    re_path(r"^bench/limit/novu/(?P<subscriber_id>[^/]+)/preferences/?$", limit.novu_preferences_get),
    re_path(r"^bench/limit/novu/(?P<subscriber_id>[^/]+)/preferences/patch/?$", limit.novu_preferences_patch),
    re_path(
        r"^bench/limit/teamup/(?P<customer_id>\d+)/notification_preferences/(?P<preference_id>\d+)/?$",
        limit.teamup_preference_patch,
    ),
]
