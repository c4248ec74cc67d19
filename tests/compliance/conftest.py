"""Fixtures for compliance tests: a tenant with an SMS number, customers with phones, a signing helper."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from compliance.models import SmsSettings
from compliance.sms import twilio_signature

INBOUND = "+14155550100"
PHONE = "+14155550123"
SMS_URL = "/v1/sms/inbound"


@pytest.fixture
def sms_settings(tenant):
    return SmsSettings.objects.create(tenant=tenant, inbound_number=INBOUND)


@pytest.fixture
def texter(tenant):
    from tests.factories import make_customer

    return make_customer(tenant, "texter", phone=PHONE, sms_opt_out=False, locale="en")


@pytest.fixture
def send_sms():
    """POST a Twilio-style form to the webhook; `sign_with` signs it as Twilio would."""

    def send(
        body: str, *, sender: str = PHONE, to: str = INBOUND, sign_with: str | None = None, signature=None, **extra
    ):
        data = {"From": sender, "To": to, "Body": body, "MessageSid": "SM" + "0" * 32, **extra}
        headers = {}
        if sign_with is not None:
            url = "http://testserver" + SMS_URL
            headers["HTTP_X_TWILIO_SIGNATURE"] = twilio_signature(url=url, params=data.items(), auth_token=sign_with)
        if signature is not None:
            headers["HTTP_X_TWILIO_SIGNATURE"] = signature
        return Client().post(SMS_URL, urlencode(data), content_type="application/x-www-form-urlencoded", **headers)

    return send
