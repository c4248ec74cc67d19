"""Compliance routes: consent export and erasure under /v1/customers, the SMS webhook under /v1/sms."""

from django.urls import re_path

from compliance.views import ConsentExportView, CustomerErasureView, sms_inbound

urlpatterns = [
    re_path(r"^v1/customers/(?P<external_id>[^/]+)/consent/?$", ConsentExportView.as_view(), name="consent-export"),
    re_path(r"^v1/customers/(?P<external_id>[^/]+)/?$", CustomerErasureView.as_view(), name="customer-erasure"),
    re_path(r"^v1/sms/inbound/?$", sms_inbound, name="sms-inbound"),
]
