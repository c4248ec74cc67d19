"""The preference page: what it shows, what a save writes (and only that), its protections."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client

from customers.services import customer_revoke_links, customer_update
from messaging.models import CategoryPreference
from prefcenter.models import ConsentEvent
from selfservice import shell
from selfservice.forms import PreferencesForm, unbound_fields
from selfservice.links import PURPOSE_PREFERENCES, PURPOSE_UNSUBSCRIBE, link_token
from selfservice.state.page import page_state
from subscribers.models import WorkflowPreference
from subscribers.services.preferences import workflow_preference_update
from tests.factories import make_category, make_category_preference, make_customer, make_workflow
from tests.forms import read_form
from tests.selfservice.catalog import SYSTEM, fresh
from tests.selfservice.helpers import submission, tampered, token_issued_ago

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (TestBrowser)"}


def get_form(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    return read_form(response.content.decode())


def save(client, path, **changes):
    form = get_form(client, path)
    return client.post(path, submission(form, **changes), **BROWSER)


def events(person, **filters):
    return list(
        ConsentEvent.objects.filter(customer_id=person.pk, **filters)
        .order_by("pk")
        .values_list("subject", "field", "old_value", "new_value")
    )


# ------------------------------------------------------------------------------- what it shows


def test_page_shows_the_tenant_channels_topics_and_notifications_when_opened(client, catalog, person, page_path):
    response = client.get(page_path)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    for text in (
        "Acme Inc.",
        "How we reach you",
        "Orders and deliveries",
        "News and offers",
        "Account and security",
        "Order shipped",
        "Monthly newsletter",
        "Product tips",
        "Mentions",
        "Other notifications",
        "Yes, send me text messages at",
        # Masked on screen, and read as words by a screen reader (issue 14 item 10), never in full.
        '<span aria-hidden="true">••• 0123</span><span class="visually-hidden">the number ending in 0123</span>',
        '<span aria-hidden="true">g•••@example.com</span>'
        '<span class="visually-hidden">g (rest hidden) at example.com</span>',
        "Unsubscribe from everything that isn't essential",
    ):
        assert text in html
    assert "grace@example.com" not in html and "+14155550123" not in html
    form = read_form(html)
    assert form.checkboxes["master_email"] is True
    assert form.checkboxes["sms_opt_in"] is False  # SMS is opt-in: never pre-checked
    assert form.checkboxes[f"w{catalog.newsletter.pk}_email"] is True
    assert form.checkboxes[f"w{catalog.product_tips.pk}_push"] is False  # the workflow's default, via the engine
    assert form.checkboxes[f"c{catalog.news.pk}_push"] is False  # the category's default
    assert form.fields[f"c{catalog.news.pk}_digest"] == "daily"
    # Critical workflows and mandatory categories are shown locked, not posted.
    assert f"w{catalog.password_reset.pk}_email" in form.disabled
    # A mandatory topic's email is always sent: only its frequency is a choice, with no "Off".
    assert form.fields[f"c{catalog.account.pk}_digest"] == "instant"
    assert 'value="off"' not in html.split(f'name="c{catalog.account.pk}_digest"')[1].split("</select>")[0]
    assert "Always sent: essential for your account." in html
    assert "Always sent: required for your account." in html


def test_page_sends_private_headers_when_rendered(client, catalog, person, page_path):
    response = client.get(page_path)
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "https://" not in response.content.decode().split("<body>")[0]  # no CDN assets


def test_page_runs_a_fixed_number_of_queries_when_the_catalog_grows(
    client, catalog, person, page_path, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        client.get(page_path)
    for n in range(15):
        make_workflow(person.tenant, f"extra-{n}", category=catalog.orders, channels=["email", "push"])
    with django_assert_max_num_queries(8):
        assert client.get(page_path).status_code == HTTPStatus.OK


def test_page_disables_sms_when_no_phone_number_is_on_file(client, catalog, tenant):
    nophone = make_customer(tenant, "no-phone", email="x@example.com")
    path = f"/p/{link_token(customer=nophone, purpose=PURPOSE_PREFERENCES)}/"
    html = client.get(path).content.decode()
    assert "We have no phone number for you" in html
    assert "sms_opt_in" in read_form(html).disabled


def test_page_explains_a_blocked_switch_when_a_higher_layer_decides(client, catalog, person, page_path):
    make_category_preference(person, catalog.news, email_enabled=False, digest="daily")
    html = client.get(page_path).content.decode()
    form = read_form(html)
    assert f"w{catalog.newsletter.pk}_email" in form.disabled
    assert "Email is off for News and offers." in html


def test_page_escapes_the_catalog_text_when_names_and_descriptions_hold_markup(client, catalog, person, page_path):
    topic = make_category(person.tenant, "deals", name="Deals & <i>offers</i>", description="<b>Big</b> savings")
    make_workflow(
        person.tenant,
        "flash-sale",
        name='<script>alert("x")</script>',
        description="Tom & Jerry's <deals>",
        category=topic,
        channels=["email", "push"],
    )
    make_category_preference(person, topic, email_enabled=False, digest="daily")
    html = client.get(page_path).content.decode()
    # The page's own script tag (issue 14, item 8) is the one <script the page may hold.
    own_script = f'<script src="{shell.script_url()}" defer'
    assert html.count(own_script) == 1
    for raw in ("<script", "<i>", "<b>", "<deals>"):
        assert raw not in html.replace(own_script, "")
    for escaped in (
        "Deals &amp; &lt;i&gt;offers&lt;/i&gt;",
        "&lt;b&gt;Big&lt;/b&gt; savings",
        "<legend>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</legend>",
        '<p class="desc">Tom &amp; Jerry&#x27;s &lt;deals&gt;</p>',
        "Email is off for Deals &amp; &lt;i&gt;offers&lt;/i&gt;.",  # the blocked switch's note
    ):
        assert escaped in html


def test_page_fields_render_as_the_unbound_form_renders_them_when_the_page_is_only_shown(catalog, person, tenant):
    nophone = make_customer(tenant, "no-phone", email="x@example.com")
    make_category_preference(person, catalog.news, email_enabled=False, push_enabled=False, digest="off")
    for customer in (person, nophone):
        state = page_state(customer=fresh(customer))
        form = PreferencesForm(state)
        shown = unbound_fields(state)
        assert list(shown) == list(form.fields)
        for name, field in shown.items():
            assert (str(field), field.id_for_label, list(field.errors)) == (
                str(form[name]),
                form[name].id_for_label,
                list(form[name].errors),
            )


# ------------------------------------------------------------------------------- saving


def test_save_writes_only_the_changed_switch_with_page_consent_events_when_a_workflow_is_toggled(
    catalog, person, page_path
):
    client = Client()
    response = save(client, page_path, **{f"w{catalog.newsletter.pk}_email": False})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].startswith(page_path + "?saved=")
    row = WorkflowPreference.objects.get(customer=person)
    assert (row.workflow, row.enabled, row.channel_values()) == (
        catalog.newsletter,
        None,
        {"email": False, "sms": None, "in_app": None, "chat": None, "push": None},
    )
    event = ConsentEvent.objects.get(customer_id=person.pk)
    assert (event.subject, event.field, event.old_value, event.new_value) == (
        "workflow:newsletter",
        "email",
        None,
        False,
    )
    assert (event.source, event.actor, event.ip, event.user_agent) == (
        "page",
        "customer:cust-7",
        "127.0.0.1",
        "Mozilla/5.0 (TestBrowser)",
    )
    assert event.request_id == response["Location"].split("saved=")[1]
    # The page then shows what was saved, read back from the ledger.
    html = client.get(response["Location"]).content.decode()
    assert "Your preferences are saved" in html
    assert "Monthly newsletter · Email: Default (On) → Off" in html
    assert read_form(html).checkboxes[f"w{catalog.newsletter.pk}_email"] is False


def test_save_writes_the_change_when_a_catalog_of_250_workflows_puts_thousands_of_fields_on_the_page(
    tenant, person, page_path
):
    workflows = [
        make_workflow(tenant, f"bulk-{i}", channels=["email", "sms", "in_app", "chat", "push"]) for i in range(250)
    ]
    client = Client()
    form = get_form(client, page_path)
    assert len(form.fields) + len(form.checkboxes) > 2_000
    response = client.post(page_path, submission(form, **{f"w{workflows[-1].pk}_push": False}), **BROWSER)
    assert response.status_code == HTTPStatus.SEE_OTHER
    row = WorkflowPreference.objects.get(customer=person, workflow=workflows[-1])
    assert row.channel_values()["push"] is False


def test_save_writes_nothing_when_nothing_was_touched(client, catalog, person, page_path, unchanged):
    form = get_form(client, page_path)
    with unchanged():
        response = client.post(page_path, submission(form))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert "Nothing needed to change." in client.get(response["Location"]).content.decode()


def test_save_keeps_a_choice_made_elsewhere_when_the_page_was_stale(client, catalog, person, page_path):
    form = get_form(client, page_path)  # shows the newsletter's email on
    workflow_preference_update(
        tenant=person.tenant, customer=person, workflow=catalog.newsletter, channels={"email": False}, actor=SYSTEM
    )
    client.post(page_path, submission(form, **{f"c{catalog.orders.pk}_digest": "hourly"}))
    assert WorkflowPreference.objects.get(customer=person, workflow=catalog.newsletter).email is False
    assert CategoryPreference.objects.get(customer=person, category=catalog.orders).digest == "hourly"


def test_save_stores_the_whole_category_row_when_a_topic_switch_and_the_email_choice_change(
    client, catalog, person, page_path
):
    # Issue 14 item 4: a topic's email is one choice (a frequency or Off), no longer a switch beside a frequency.
    save(client, page_path, **{f"c{catalog.news.pk}_in_app": False, f"c{catalog.news.pk}_digest": "off"})
    row = CategoryPreference.objects.get(customer=person, category=catalog.news)
    assert (row.in_app_enabled, row.email_enabled, row.push_enabled, row.digest) == (False, False, False, "daily")
    assert events(person) == [
        ("category:news", "in_app_enabled", None, False),
        ("category:news", "email_enabled", None, False),
        ("category:news", "push_enabled", None, False),
        ("category:news", "digest", None, "daily"),
    ]
    save(client, page_path, **{f"c{catalog.news.pk}_digest": "hourly"})
    row.refresh_from_db()
    assert (row.in_app_enabled, row.email_enabled, row.push_enabled, row.digest) == (False, True, False, "hourly")


def test_master_switch_turns_a_channel_off_and_back_to_inherit_when_toggled_twice(client, catalog, person, page_path):
    save(client, page_path, master_push=False)
    assert WorkflowPreference.objects.get(customer=person, workflow=None).push is False
    html = client.get(page_path).content.decode()
    assert f"w{catalog.order_shipped.pk}_push" in read_form(html).disabled
    assert "Push is off for all notifications." in html
    save(client, page_path, master_push=True)
    assert not WorkflowPreference.objects.filter(customer=person, workflow=None).exists()  # nothing left to store
    assert events(person, subject="workflow:*") == [
        ("workflow:*", "push", None, False),
        ("workflow:*", "push", False, None),
    ]


def test_email_master_lifts_a_one_click_opt_out_when_turned_back_on(client, catalog, person, page_path):
    customer_update(customer=person, actor=SYSTEM, email_opt_out=True)
    form = get_form(client, page_path)
    assert form.checkboxes["master_email"] is False
    client.post(page_path, submission(form, master_email=True))
    assert fresh(person).email_opt_out is False
    assert events(person, source="page") == [("customer", "email_opt_out", True, False)]


def test_email_master_lifts_the_messaging_default_when_it_blocks_email(client, catalog, person, page_path):
    make_category_preference(person, None, email_enabled=False)
    form = get_form(client, page_path)
    assert form.checkboxes["master_email"] is False
    client.post(page_path, submission(form, master_email=True))
    assert CategoryPreference.objects.get(customer=person, category=None).email_enabled is True


def test_sms_opt_in_flips_the_customer_opt_out_when_a_phone_is_on_file(client, catalog, person, page_path):
    save(client, page_path, sms_opt_in=True)
    assert fresh(person).sms_opt_out is False
    assert events(person, source="page") == [("customer", "sms_opt_out", True, False)]
    form = get_form(client, page_path)
    assert form.checkboxes["sms_opt_in"] is True
    assert form.checkboxes[f"w{catalog.order_shipped.pk}_sms"] is True
    client.post(page_path, submission(form, sms_opt_in=False))
    assert fresh(person).sms_opt_out is True


def test_sms_opt_in_is_refused_when_no_phone_is_on_file(client, catalog, tenant, unchanged):
    nophone = make_customer(tenant, "no-phone", email="x@example.com")
    path = f"/p/{link_token(customer=nophone, purpose=PURPOSE_PREFERENCES)}/"
    form = get_form(client, path)
    with unchanged():
        response = client.post(path, {**submission(form), "sms_opt_in": "on", "initial-sms_opt_in": "False"})
    assert response.status_code == HTTPStatus.SEE_OTHER  # not a field of the form: ignored, nothing written
    assert fresh(nophone).sms_opt_out is True


def test_locked_switches_are_ignored_when_a_forged_post_names_them(client, catalog, person, page_path, unchanged):
    form = get_form(client, page_path)
    forged = {
        **submission(form),
        f"initial-w{catalog.password_reset.pk}_email": "True",
        f"initial-c{catalog.account.pk}_email": "True",
    }
    with unchanged():
        assert client.post(page_path, forged).status_code == HTTPStatus.SEE_OTHER


def test_turning_a_channel_on_lifts_the_workflow_master_and_keeps_the_rest_off_when_it_was_disabled(
    client, catalog, person, page_path
):
    workflow_preference_update(
        tenant=person.tenant, customer=person, workflow=catalog.mentions, enabled=False, channels={}, actor=SYSTEM
    )
    save(client, page_path, **{f"w{catalog.mentions.pk}_chat": True})
    row = WorkflowPreference.objects.get(customer=person, workflow=catalog.mentions)
    assert (row.enabled, row.chat, row.email, row.in_app) == (None, True, False, False)


def test_unsubscribe_from_everything_sets_the_global_switch_when_asked_and_resubscribe_lifts_it(
    client, catalog, person, page_path
):
    form = read_form(client.get(page_path).content.decode(), index=1)
    response = client.post(page_path, {**form.fields, "action": "unsubscribe_all"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert WorkflowPreference.objects.get(customer=person, workflow=None).enabled is False
    html = client.get(response["Location"]).content.decode()
    assert "You're unsubscribed from everything that isn't essential" in html
    assert "All notifications: Default (On) → Off" in html  # issue 14 item 10: what "Default" meant
    assert f"w{catalog.newsletter.pk}_email" in read_form(html, index=1).disabled  # form 0: the banner's
    assert "Always sent" in html  # critical still shown as sent
    banner = read_form(html, index=0)
    client.post(page_path, {**banner.fields, "action": "resubscribe_all"})
    assert not WorkflowPreference.objects.filter(customer=person, workflow=None).exists()  # back to inherit


def test_page_shows_everything_off_but_what_must_be_sent_when_unsubscribed_from_everything(
    client, catalog, person, page_path
):
    # Issue 14 item 3: switches used to stay On, the SMS box ticked, notes said "Turn it on above".
    customer_update(customer=person, actor=SYSTEM, sms_opt_out=False)
    form = read_form(client.get(page_path).content.decode(), index=1)
    client.post(page_path, {**form.fields, "action": "unsubscribe_all"})
    html = client.get(page_path).content.decode()
    prefs = read_form(html, index=1)
    # Nothing non-essential is on or editable: only the SMS consent (essential texts still go) and
    # the required topic's email frequency remain choices.
    assert prefs.checkboxes == {"sms_opt_in": True}
    assert set(prefs.fields) - {"csrfmiddlewaretoken"} == {
        "initial-sms_opt_in", f"c{catalog.account.pk}_digest", f"initial-c{catalog.account.pk}_digest",
    }
    for name in ("master_email", "master_push", f"c{catalog.news.pk}_push", f"w{catalog.order_shipped.pk}_email"):
        assert name in prefs.disabled
    assert re.search(rf'id="w{catalog.order_shipped.pk}_email" disabled(?! checked)', html)
    assert re.search(rf'id="c{catalog.news.pk}_digest" disabled[^>]*><option value="off" selected>', html)
    assert "Only text messages we must send" in html
    assert "Turn it on above" not in html and "Turn email back on above" not in html
    assert html.count(">Resubscribe</button>") == 1
    assert "Unsubscribe from all non-essential messages" not in html
    assert re.search(rf'id="w{catalog.password_reset.pk}_email" disabled checked', html)  # still sent, locked


# ------------------------------------------------------------------------------- bad input


def test_save_is_refused_and_nothing_written_when_the_digest_is_not_a_choice(
    client, catalog, person, page_path, unchanged
):
    form = get_form(client, page_path)
    with unchanged():
        response = client.post(page_path, submission(form, **{f"c{catalog.news.pk}_digest": "weekly"}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert "Select a valid choice. weekly is not one of the available choices." in html
    # The select names its error for assistive technology, and the page has that element.
    described = re.search(rf'<select[^>]*name="c{catalog.news.pk}_digest"[^>]*aria-describedby="([^"]+)"', html)
    assert described and f'id="{described.group(1)}"' in html


def test_page_shows_what_was_submitted_when_a_save_is_refused(client, catalog, person, page_path, unchanged):
    form = get_form(client, page_path)
    changes = {f"w{catalog.newsletter.pk}_email": False, f"c{catalog.news.pk}_digest": "weekly"}
    with unchanged():
        response = client.post(page_path, submission(form, **changes))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    shown = read_form(response.content.decode())
    assert shown.checkboxes[f"w{catalog.newsletter.pk}_email"] is False  # the customer's change, not the stored on
    assert shown.fields[f"initial-w{catalog.newsletter.pk}_email"] == "True"  # what the page showed before
    assert shown.checkboxes == {**form.checkboxes, f"w{catalog.newsletter.pk}_email": False}


def test_save_is_refused_and_nothing_written_when_the_action_is_unknown(client, catalog, person, page_path, unchanged):
    form = get_form(client, page_path)
    with unchanged():
        response = client.post(page_path, {**submission(form, master_push=False), "action": "explode"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_save_is_forbidden_when_the_csrf_token_is_missing(catalog, person, page_path, unchanged):
    client = Client(enforce_csrf_checks=True)
    form = get_form(client, page_path)
    data = submission(form, master_push=False)
    data.pop("csrfmiddlewaretoken")
    with unchanged():
        assert client.post(page_path, data).status_code == HTTPStatus.FORBIDDEN


def test_csrf_failure_shows_the_page_again_with_the_choices_and_a_fresh_token_when_cookies_were_cleared(
    catalog, person, page_path, unchanged
):
    # Issue 14 item 6: not Django's bare 403, and the customer's changes are not lost.
    client = Client(enforce_csrf_checks=True)
    form = get_form(client, page_path)
    client.cookies.clear()
    with unchanged():
        response = client.post(page_path, submission(form, master_push=False, **{f"c{catalog.news.pk}_digest": "off"}))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Nothing was saved yet" in html and "save again" in html
    assert "CSRF verification failed" not in html
    shown = read_form(html, index=0)
    assert shown.checkboxes["master_push"] is False  # what they chose, not what is stored
    assert shown.fields[f"c{catalog.news.pk}_digest"] == "off"
    assert shown.fields["initial-master_push"] == "True"  # what the page showed before
    assert "csrftoken" in response.cookies  # a fresh token, with its cookie
    again = client.post(page_path, {k: v for k, v in submission(shown).items()})
    assert again.status_code == HTTPStatus.SEE_OTHER
    assert WorkflowPreference.objects.get(customer=person, workflow=None).push is False
    assert CategoryPreference.objects.get(customer=person, category=catalog.news).email_enabled is False


def test_csrf_failure_asks_to_press_again_and_writes_nothing_when_unsubscribing_from_everything(
    catalog, person, page_path, unchanged
):
    client = Client(enforce_csrf_checks=True)
    client.get(page_path)
    with unchanged():
        response = client.post(page_path, {"action": "unsubscribe_all", "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Nothing was saved yet" in response.content.decode()


def test_save_is_accepted_when_the_browser_sends_its_own_origin_under_same_origin(catalog, person, page_path):
    client = Client(enforce_csrf_checks=True)
    form = get_form(client, page_path)
    response = client.post(
        page_path, submission(form, master_push=False), HTTP_ORIGIN="https://testserver", secure=True
    )
    assert response.status_code == HTTPStatus.SEE_OTHER


def test_save_is_forbidden_when_the_origin_is_null(catalog, person, page_path, unchanged):
    """Issue 12: the page sends `Referrer-Policy: same-origin`, so browsers send its real Origin; an opaque
    `Origin: null` (a sandboxed frame, a data: URL) is no longer accepted."""
    client = Client(enforce_csrf_checks=True)
    form = get_form(client, page_path)
    with unchanged():
        response = client.post(page_path, submission(form, master_push=False), HTTP_ORIGIN="null", secure=True)
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_save_is_forbidden_when_another_origin_posts(catalog, person, page_path, unchanged):
    client = Client(enforce_csrf_checks=True)
    form = get_form(client, page_path)
    with unchanged():
        response = client.post(page_path, submission(form, master_push=False), HTTP_ORIGIN="https://evil.example")
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_page_refuses_other_methods_when_called(client, catalog, person, page_path, unchanged, method):
    with unchanged():
        assert getattr(client, method)(page_path).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# ------------------------------------------------------------------------------- bad links


def test_page_is_a_friendly_400_when_the_link_is_tampered_with(client, catalog, person, page_path, unchanged):
    path = page_path.rstrip("/")
    with unchanged():
        response = client.get(tampered(path) + "/")
        post = client.post(tampered(path) + "/", {"master_push": "", "initial-master_push": "True"})
    assert response.status_code == post.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "This link isn't valid" in html and "How to get a new link" in html
    assert response["Cache-Control"] == "no-store"


def test_page_is_a_friendly_410_when_the_link_has_expired(client, catalog, person, settings, unchanged):
    token = token_issued_ago(settings.PREFCENTER_LINK_MAX_AGE + 5, customer=person, purpose=PURPOSE_PREFERENCES)
    with unchanged():
        response = client.get(f"/p/{token}/")
        post = client.post(f"/p/{token}/", {"initial-master_push": "True"})
    assert response.status_code == post.status_code == HTTPStatus.GONE
    assert "This link has expired" in response.content.decode()


def test_page_is_a_friendly_410_when_the_links_were_revoked(client, catalog, person, page_path, unchanged):
    customer_revoke_links(customer=person, actor=SYSTEM)
    with unchanged():
        response = client.get(page_path)
    assert response.status_code == HTTPStatus.GONE
    assert "This link no longer works" in response.content.decode()


def test_page_refuses_an_unsubscribe_token_when_given_one(client, catalog, person, unchanged):
    token = link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE)
    with unchanged():
        assert client.get(f"/p/{token}/").status_code == HTTPStatus.BAD_REQUEST


def test_page_is_not_found_when_the_token_has_characters_a_token_never_has(client, unchanged):
    with unchanged():
        assert client.get("/p/abc%20def/").status_code == HTTPStatus.NOT_FOUND


def test_saved_summary_says_what_default_meant_when_a_switch_leaves_its_default(client, catalog, person, page_path):
    # Issue 14 item 10: "Push: Default → On" did not say that Default was Off.
    response = save(client, page_path, **{f"w{catalog.product_tips.pk}_push": True})
    html = client.get(response["Location"]).content.decode()
    assert "Product tips · Push: Default (Off) → On" in html


def test_switch_names_are_unique_when_several_topics_and_notifications_share_a_channel(client, catalog, page_path):
    html = client.get(page_path).content.decode()
    for name in (
        f'aria-label="Email for {catalog.newsletter.name}"',
        f'aria-label="In-app for {catalog.orders.name}"',
        f'aria-label="In-app for {catalog.news.name}"',
        f'aria-label="Email for {catalog.orders.name}"',
        f'aria-label="Push for {catalog.order_shipped.name}"',
    ):
        assert html.count(name) == 1, name


def test_topic_shows_only_the_channels_its_notifications_use_when_rendered(client, tenant, person, page_path):
    # Issue 14 item 4: Marketing showed In-app and Push though its workflow uses Email, SMS and Chat;
    # Billing showed a locked Push that nothing uses.
    marketing = make_category(tenant, "marketing", name="Marketing")
    billing = make_category(tenant, "billing", name="Billing", mandatory=True)
    make_workflow(tenant, "promo", category=marketing, channels=["email", "sms", "chat"])
    make_workflow(tenant, "invoice-ready", category=billing, channels=["email"])
    html = client.get(page_path).content.decode()
    for name in ("in_app", "push"):
        assert f'id="c{marketing.pk}_{name}"' not in html and f'id="id_c{marketing.pk}_{name}"' not in html
        assert f'id="c{billing.pk}_{name}"' not in html
    assert 'aria-label="Email for Marketing"' in html and 'aria-label="Email for Billing"' in html
    billing_email = html.split(f'name="c{billing.pk}_digest"')[1].split("</select>")[0]
    assert 'value="off"' not in billing_email  # required mail: how often, never whether
    assert 'aria-describedby="topic-billing-notes"' in html.split(f'name="c{billing.pk}_digest"')[0][-200:] + (
        billing_email
    )
    assert 'id="topic-billing-notes">Always sent: required for your account.</p>' in html
