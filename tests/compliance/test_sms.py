"""SMS keywords: POST /v1/sms/inbound (CTIA keywords, FCC 24-24 "any reasonable means")."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from compliance.sms import AMBIGUOUS, HELP, NONE, START, STOP, keyword_intent, twilio_signature
from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.compliance.conftest import INBOUND, PHONE
from tests.factories import make_customer, make_tenant

STOP_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
START_WORDS = ["START", "UNSTOP", "YES"]


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        *[(word, STOP) for word in STOP_WORDS],
        *[(word.lower(), STOP) for word in STOP_WORDS],
        *[(word.title(), STOP) for word in STOP_WORDS],
        *[(word, START) for word in START_WORDS],
        *[(word.lower(), START) for word in START_WORDS],
        ("HELP", HELP),
        ("info", HELP),
        ("please stop", STOP),
        ("Please STOP texting me!!", STOP),
        ("stop.", STOP),
        ("opt out", STOP),
        ("Opt-Out please", STOP),
        ("stop all", STOP),
        ("yes please, start again", START),
        ("stop, no wait, start", AMBIGUOUS),
        ("YES STOP", AMBIGUOUS),
        ("stop? help", STOP),
        ("hello there", NONE),
        ("", NONE),
        ("stopwatch", NONE),
        ("the weekend", NONE),
        ("information", NONE),
    ],
)
def test_keyword_intent_when_message_has_words(body, intent):
    assert keyword_intent(body) == intent


def xml(text: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{text}</Message></Response>'.encode()


STOP_EN = "Acme Inc.: you are unsubscribed and will receive no more text messages. Reply START to resubscribe."
START_EN = "Acme Inc.: you are subscribed to text messages again. Reply STOP to unsubscribe, HELP for help."


@pytest.mark.parametrize("body", [*STOP_WORDS, "stop", "Please stop", "  quit now  ", "opt out"])
def test_sms_opts_out_and_records_the_message_when_a_stop_word_arrives(sms_settings, texter, send_sms, body):
    response = send_sms(body)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/xml")
    assert response.content == xml(STOP_EN)
    texter.refresh_from_db()
    assert texter.sms_opt_out is True
    assert texter.sms_opt_out_at is not None
    event = ConsentEvent.objects.filter(customer_id=texter.id, field="sms_opt_out").last()
    assert (event.old_value, event.new_value, event.source) == (False, True, "sms_keyword")
    assert event.actor == f'sms {PHONE}: "{" ".join(body.split())}"'
    assert event.request_id == "SM" + "0" * 32


@pytest.mark.parametrize("body", [*START_WORDS, "start", "yes please", "Unstop"])
def test_sms_opts_back_in_when_a_start_word_arrives(sms_settings, tenant, send_sms, body):
    texter = make_customer(tenant, "texter", phone=PHONE, sms_opt_out=True)
    response = send_sms(body)
    assert response.status_code == HTTPStatus.OK
    assert response.content == xml(START_EN)
    texter.refresh_from_db()
    assert texter.sms_opt_out is False
    event = ConsentEvent.objects.filter(customer_id=texter.id, field="sms_opt_out").last()
    assert (event.old_value, event.new_value, event.source) == (True, False, "sms_keyword")


@pytest.mark.parametrize("body", ["HELP", "info", "help me"])
def test_sms_answers_help_and_writes_nothing_when_help_arrives(sms_settings, texter, send_sms, unchanged, body):
    with unchanged():
        response = send_sms(body)
    assert response.status_code == HTTPStatus.OK
    assert response.content == xml("Acme Inc.: reply STOP to unsubscribe or START to resubscribe. Help: +14155550100")


def test_sms_changes_nothing_and_says_so_when_the_message_is_ambiguous(sms_settings, texter, send_sms, unchanged):
    with unchanged():
        response = send_sms("stop, no wait, yes start")
    assert response.status_code == HTTPStatus.OK
    assert b"nothing changed" in response.content
    assert b"Reply STOP to unsubscribe or START to resubscribe." in response.content


def test_sms_answers_an_empty_response_when_no_keyword_arrives(sms_settings, texter, send_sms, unchanged):
    with unchanged():
        response = send_sms("thanks, see you")
    assert response.status_code == HTTPStatus.OK
    assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def test_sms_is_404_with_nothing_written_when_the_sender_is_unknown(sms_settings, texter, send_sms, unchanged):
    with unchanged():
        response = send_sms("STOP", sender="+14155550199")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("text/xml")
    assert response.content == xml("Acme Inc.: this phone number is not on file, so nothing changed.")


def test_sms_writes_nothing_when_already_opted_out(sms_settings, tenant, send_sms, unchanged):
    make_customer(tenant, "texter", phone=PHONE, sms_opt_out=True)
    with unchanged():
        response = send_sms("STOP")
    assert response.status_code == HTTPStatus.OK
    assert response.content == xml(STOP_EN)


def test_sms_opts_out_every_customer_with_the_number_when_several_share_it(sms_settings, tenant, send_sms):
    first = make_customer(tenant, "a", phone=PHONE, sms_opt_out=False)
    second = make_customer(tenant, "b", phone=PHONE, sms_opt_out=False)
    other_tenant = make_tenant("globex")
    elsewhere = make_customer(other_tenant, "a", phone=PHONE, sms_opt_out=False)
    assert send_sms("stop").status_code == HTTPStatus.OK
    assert list(Customer.objects.filter(pk__in=[first.pk, second.pk]).values_list("sms_opt_out", flat=True)) == [
        True,
        True,
    ]
    elsewhere.refresh_from_db()
    assert elsewhere.sms_opt_out is False  # tenant isolation: the To number picked acme


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "Acme Inc. : vous êtes désinscrit et ne recevrez plus de SMS. Répondez START pour vous réinscrire."),
        (
            "de-DE",
            "Acme Inc.: Sie sind abgemeldet und erhalten keine SMS mehr. Antworten Sie START, um sich wieder "
            "anzumelden.",
        ),
        ("es", STOP_EN),
    ],
)
def test_sms_replies_in_the_customers_language_when_a_locale_is_set(sms_settings, tenant, send_sms, locale, expected):
    make_customer(tenant, "texter", phone=PHONE, sms_opt_out=False, locale=locale)
    response = send_sms("stop")
    assert response.content.decode() == xml(expected).decode()


def test_sms_replies_with_the_tenants_text_when_it_set_one(sms_settings, tenant, send_sms):
    sms_settings.messages = {"fr": {"stop": "C'est noté, plus de SMS."}, "en": {"help": "Call us."}}
    sms_settings.full_clean()
    sms_settings.save()
    make_customer(tenant, "fr", phone=PHONE, sms_opt_out=False, locale="fr-CA")
    assert send_sms("ARRET STOP").content.decode() == xml("C'est noté, plus de SMS.").decode()
    make_customer(tenant, "en", phone="+14155550124", sms_opt_out=False)
    assert send_sms("help", sender="+14155550124").content == xml("Call us.")


def test_sms_accepts_the_message_when_the_signature_is_right(sms_settings, texter, send_sms):
    sms_settings.auth_token = "token-123"
    sms_settings.save()
    response = send_sms("STOP", sign_with="token-123")
    assert response.status_code == HTTPStatus.OK
    texter.refresh_from_db()
    assert texter.sms_opt_out is True


@pytest.mark.parametrize(
    "how", ["missing", "wrong_token", "garbage", "tampered"], ids=["missing", "wrong-token", "garbage", "tampered"]
)
def test_sms_is_403_with_nothing_written_when_the_signature_is_bad(sms_settings, texter, send_sms, unchanged, how):
    sms_settings.auth_token = "token-123"
    sms_settings.save()
    with unchanged():
        if how == "missing":
            response = send_sms("STOP")
        elif how == "wrong_token":
            response = send_sms("STOP", sign_with="other-token")
        elif how == "garbage":
            response = send_sms("STOP", signature="not-a-signature")
        else:  # signed for "HELP", sent as "STOP"
            good = twilio_signature(
                url="http://testserver/v1/sms/inbound",
                params={"From": PHONE, "To": INBOUND, "Body": "HELP", "MessageSid": "SM" + "0" * 32}.items(),
                auth_token="token-123",
            )
            response = send_sms("STOP", signature=good)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "X-Twilio-Signature" in response.content.decode()


def test_twilio_signature_matches_twilios_documented_example():
    # Twilio's documented example (TwilioDevEd/api-snippets security/signature_validation).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    signature = twilio_signature(
        url="https://mycompany.com/myapp.php?foo=1&bar=2", params=params.items(), auth_token="12345"
    )
    assert signature == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"To": INBOUND, "Body": "STOP"}, HTTPStatus.BAD_REQUEST),
        ({"From": PHONE, "Body": "STOP"}, HTTPStatus.BAD_REQUEST),
        ({"From": "0123", "To": INBOUND, "Body": "STOP"}, HTTPStatus.BAD_REQUEST),
        ({"From": PHONE, "To": "+14155550111", "Body": "STOP"}, HTTPStatus.NOT_FOUND),
    ],
    ids=["no-from", "no-to", "bad-from", "unknown-to"],
)
def test_sms_is_4xx_with_nothing_written_when_the_form_is_bad(sms_settings, texter, unchanged, data, status):
    from django.test import Client

    with unchanged():
        response = Client().post("/v1/sms/inbound", data)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")


def test_sms_is_415_when_the_body_is_not_a_form(sms_settings, texter, unchanged):
    from django.test import Client

    with unchanged():
        response = Client().post(
            "/v1/sms/inbound", {"From": PHONE, "To": INBOUND, "Body": "STOP"}, content_type="application/json"
        )
    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def test_sms_is_405_when_not_posted(sms_settings):
    from django.test import Client

    assert Client().get("/v1/sms/inbound").status_code == HTTPStatus.METHOD_NOT_ALLOWED
