"""The self-service face: the preference page, one-click unsubscribe, and the link-issuing API.

The page and the unsubscribe endpoint are plain Django views with no API authentication:
the signed token in the URL is the credential (selfservice/links.py). Every
response of theirs is private and uncacheable, sends no referrer to other sites (the URL is a secret)
and may not be framed.
"""

from __future__ import annotations

from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from customers.selectors import customer_get
from customers.services import customer_revoke_links
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from prefcenter.throttling import throttle_by_address
from prefcenter.views import PrefCenterAPIView
from selfservice import links, markup, shell
from selfservice.forms import PreferencesForm, unbound_fields
from selfservice.serializers import (
    PreferenceLinkRequestSerializer,
    PreferenceLinksSerializer,
    RevokedLinksSerializer,
    RevokeLinksRequestSerializer,
)
from selfservice.services import (
    everything_set,
    one_click_undo,
    one_click_unsubscribe,
    preferences_save,
    unsubscribe_describe,
)
from selfservice.state import CHANNEL_LABELS, page_state
from selfservice.summary import saved_changes
from subscribers.forms import ScheduleForm
from subscribers.selectors.schedule import customer_schedule
from subscribers.services import customer_schedule_set


def stylesheet() -> tuple[str, str]:
    """The page's CSS (no accent), inlined (no static file server needed), and its CSP hash."""
    sheet = shell.stylesheet()
    return sheet.css, sheet.csp_hash


def private_page(view):
    """Headers for every self-service response: no caching, no referrer, no framing, no third-party anything."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        # The URL is a secret: never sent to another site. Same-origin requests keep their Origin and
        # Referer, which the page's own form posts need for Django's CSRF check.
        response["Referrer-Policy"] = "same-origin"
        response["X-Frame-Options"] = "DENY"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Content-Security-Policy"] = shell.content_security_policy(getattr(response, "style_hash", None))
        return response

    return wrapped


_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def csrf_refused(request: HttpRequest) -> bool:
    """Django's own CSRF check (token, cookie, Origin) for one of the page's POSTs: True when it refuses.

    The page runs the check itself rather than through the middleware, so that a refusal (cookies
    cleared, a tab left open past a cookie rotation) answers the page again in its own design,
    with what the customer chose and a fresh token, instead of Django's bare 403.
    """
    return _csrf.process_view(request, _checked_view, (), {}) is not None


def _checked_view(request: HttpRequest) -> HttpResponse:  # what the CSRF check is told it protects
    raise NotImplementedError


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = HTTPStatus.OK
) -> HttpResponse:
    context = {**shell.shell_context(context.get("tenant")), **context}
    response = render(request, f"selfservice/{template}", context, status=status)
    response.style_hash = context["stylesheet_hash"]  # the CSP of private_page allows this page's stylesheet
    return response


def link_error(request: HttpRequest, exc: links.InvalidLink) -> HttpResponse:
    """A friendly page for a link that does not work, saying how to get a new one. Nothing changes."""
    if isinstance(exc, links.ExpiredLink):
        status, kind = HTTPStatus.GONE, "expired"
    elif isinstance(exc, links.RevokedLink):
        status, kind = HTTPStatus.GONE, "revoked"
    else:
        status, kind = HTTPStatus.BAD_REQUEST, "invalid"
    return render_page(request, "link_error.html", {"kind": kind}, status=status)


def page_actor(request: HttpRequest, grant: links.LinkGrant, source: str) -> Actor:
    return Actor.from_request(request, label=f"customer:{grant.customer.external_id}", source=source)


def customer_language(grant: links.LinkGrant) -> str | None:
    """The customer's locale when the page speaks it (else the browser's, via LocaleMiddleware)."""
    locale = (grant.customer.locale or "").replace("_", "-").lower()
    supported = {code for code, _name in settings.LANGUAGES}
    for candidate in (locale, locale.split("-")[0]):
        if candidate in supported:
            return candidate
    return None


def with_grant(purpose: str):
    """Verify the link before the view runs; a bad link answers the error page and the view never runs."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                grant = links.link_verify(token, purpose=purpose)
            except links.InvalidLink as exc:
                return link_error(request, exc)
            language = customer_language(grant)
            if language is None:
                return view(request, grant, *args, **kwargs)
            with translation.override(language):
                response = view(request, grant, *args, **kwargs)
                response["Content-Language"] = language
                return response

        return wrapped

    return decorator


# ---------------------------------------------------------------------- the preference page


@private_page
@throttle_by_address("self-service")
@csrf_exempt  # the view runs Django's CSRF check itself (csrf_refused), to answer a refusal in its own page
@require_http_methods(["GET", "HEAD", "POST"])
@with_grant(links.PURPOSE_PREFERENCES)
def preferences_page(request: HttpRequest, grant: links.LinkGrant) -> HttpResponse:
    state = page_state(customer=grant.customer)
    timing = customer_schedule(tenant=state.tenant, customer=grant.customer)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if csrf_refused(request):
            # Nothing is written. The page again, with what they chose (a save's values) and a fresh token.
            form = PreferencesForm(state, request.POST) if action == "save" else None
            if form is not None:
                form.is_valid()
            schedule_form = schedule_form_for(timing, request.POST) if action == "schedule" else None
            if schedule_form is not None:
                schedule_form.is_valid()
            context = page_context(state, form, csrf_failed=True, timing=timing, schedule_form=schedule_form)
            return render_page(request, "preferences.html", context, status=HTTPStatus.FORBIDDEN)
        actor = page_actor(request, grant, ConsentEvent.SOURCE_PAGE)
        if action in ("unsubscribe_all", "resubscribe_all"):
            everything_set(customer=grant.customer, enabled=action == "resubscribe_all", actor=actor)
            return HttpResponseRedirect(f"{request.path}?saved={request.request_id}", status=HTTPStatus.SEE_OTHER)
        if action == "schedule":
            return schedule_save(request, grant, state, timing, actor)
        if action != "save":
            return render_page(
                request,
                "preferences.html",
                page_context(state, bad_action=True, timing=timing),
                status=HTTPStatus.BAD_REQUEST,
            )
        form = PreferencesForm(state, request.POST)
        if not form.is_valid():
            return render_page(
                request, "preferences.html", page_context(state, form, timing=timing), status=HTTPStatus.BAD_REQUEST
            )
        try:
            preferences_save(state=state, plan=form.plan(), actor=actor)
        except PrefCenterError as exc:
            form.add_error(None, exc.message)
            return render_page(
                request, "preferences.html", page_context(state, form, timing=timing), status=HTTPStatus.BAD_REQUEST
            )
        return HttpResponseRedirect(f"{request.path}?saved={request.request_id}", status=HTTPStatus.SEE_OTHER)
    saved = saved_changes(state=state, request_id=request.GET["saved"]) if "saved" in request.GET else None
    return render_page(request, "preferences.html", page_context(state, saved=saved, timing=timing))


def schedule_form_for(timing: dict[str, Any], data: Any = None) -> ScheduleForm:
    """The schedule form (subscribers/forms.py) over what the customer has; bound to `data` when posted."""
    quiet = timing["quiet_hours"] or {}
    return ScheduleForm(
        data, schedule=timing["schedule"], quiet_start=quiet.get("start"), quiet_end=quiet.get("end"),
        prefix="schedule",
    )


def schedule_save(request: HttpRequest, grant: links.LinkGrant, state, timing: dict[str, Any], actor: Actor):
    """The schedule card's save: both preferences at once, in the ledger as the page; a refusal shows the errors."""
    form = schedule_form_for(timing, request.POST)
    if form.is_valid():
        start, end = form.quiet_hours()
        try:
            customer_schedule_set(
                customer=grant.customer, actor=actor, schedule=form.schedule(), quiet_hours_start=start,
                quiet_hours_end=end,
            )
        except PrefCenterError as exc:
            form.add_error(None, exc.message)
        else:
            return HttpResponseRedirect(f"{request.path}?saved={request.request_id}", status=HTTPStatus.SEE_OTHER)
    context = page_context(state, timing=timing, schedule_form=form)
    return render_page(request, "preferences.html", context, status=HTTPStatus.BAD_REQUEST)


def page_context(
    state, form: PreferencesForm | None = None, *, saved=None, bad_action: bool = False, csrf_failed: bool = False,
    timing: dict[str, Any] | None = None, schedule_form: ScheduleForm | None = None,
) -> dict[str, Any]:
    """The template's context. `form` is the bound form of a refused save, whose values and errors are shown;
    without one the fields show what the customer has, as an unbound form would (`unbound_fields`)."""
    if form is None:
        fields, non_field_errors, field_errors = unbound_fields(state), [], []
    else:
        fields = {name: form[name] for name in form.fields}
        non_field_errors = form.non_field_errors()
        # Django points an invalid field's aria-describedby at "<id>_error": each field's errors carry that id.
        field_errors = [
            (f"{form[name].auto_id}_error", form.errors[name]) for name in form.fields if name in form.errors
        ]
    for control in state.controls():
        control.bound = fields.get(control.name)
    lock = markup.lock_icon()
    for section in state.sections:
        section.digest_bound = fields.get(section.digest_name)
        section.chips_html = markup.chips(section.controls, lock=lock, described=True)
        section.workflows_html = markup.workflow_rows(section.workflows, lock=lock)
    if timing is not None and schedule_form is None:
        schedule_form = schedule_form_for(timing)
    schedule_errors = []
    if schedule_form is not None and schedule_form.is_bound and schedule_form.errors:
        schedule_errors = [
            (f"{schedule_form[name].auto_id}_error", errors) for name, errors in schedule_form.errors.items()
            if name != "__all__"
        ]
        non_field_errors = [*non_field_errors, *schedule_form.non_field_errors()]
        field_errors = [*field_errors, *schedule_errors]
    return {
        "schedule_form": schedule_form,
        "schedule_timezone": timing["timezone"] if timing else "",
        "schedule_channels": [str(CHANNEL_LABELS.get(c, c)) for c in (timing or {}).get("channels", ())],
        "state": state,
        "tenant": state.tenant,
        "customer": state.customer,
        "non_field_errors": non_field_errors,
        "field_errors": field_errors,
        "saved": saved,
        "bad_action": bad_action,
        "csrf_failed": csrf_failed,
        "masked_email": mask_email(state.customer.email),
        "masked_phone": mask_phone(state.customer.phone),
    }


def mask_email(email: str) -> str:
    """The address with all but its first letter hidden: dots on screen, words for a screen reader
    (which would otherwise read "bullet bullet bullet", or nothing at all)."""
    local, _sep, domain = (email or "").partition("@")
    if not domain:
        return ""
    spoken = gettext("%(start)s (rest hidden) at %(domain)s") % {"start": local[:1], "domain": domain}
    return format_html(
        '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>', f"{local[:1]}•••@{domain}", spoken
    )


def mask_phone(phone: str) -> str:
    """The number's last four digits, read by a screen reader as "the number ending in 0123"."""
    if not phone:
        return ""
    spoken = gettext("the number ending in %(digits)s") % {"digits": phone[-4:]}
    return format_html(
        '<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>', f"••• {phone[-4:]}", spoken
    )


# ---------------------------------------------------------------------- one-click unsubscribe


@private_page
@throttle_by_address("self-service")
@csrf_exempt  # RFC 8058: mail clients POST with no cookies and no token; the signed URL is the credential
@require_http_methods(["GET", "HEAD", "POST"])
@with_grant(links.PURPOSE_UNSUBSCRIBE)
def unsubscribe_page(request: HttpRequest, grant: links.LinkGrant) -> HttpResponse:
    """GET shows what the link turns off and a button (scanners prefetch links); POST does it. Never a redirect."""
    try:
        outcome = unsubscribe_describe(grant)
    except links.InvalidLink as exc:
        return link_error(request, exc)
    context = {"tenant": grant.customer.tenant, "outcome": outcome}
    if request.method != "POST":
        return render_page(request, "unsubscribe.html", context)
    actor = page_actor(request, grant, ConsentEvent.SOURCE_ONE_CLICK)
    if request.POST.get("action") == "undo":
        return unsubscribe_undo(request, grant, context, actor)
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return render_page(request, "unsubscribe.html", {**context, "bad_request": True}, status=HTTPStatus.BAD_REQUEST)
    try:
        done = one_click_unsubscribe(grant=grant, actor=actor)
    except links.InvalidLink as exc:
        return link_error(request, exc)
    except PrefCenterError as exc:
        return render_page(request, "unsubscribe.html", {**context, "refused": exc.message}, status=HTTPStatus.CONFLICT)
    preferences_url = links.links_issue(customer=grant.customer).preferences_url
    undo = links.undo_token(grant=grant, previous=done.previous)
    return render_page(request, "unsubscribed.html", {**context, "preferences_url": preferences_url, "undo": undo})


def unsubscribe_undo(request: HttpRequest, grant: links.LinkGrant, context: dict[str, Any], actor: Actor):
    """Undo on "You're unsubscribed": put back what the click replaced (one click, in the ledger as one_click)."""
    try:
        previous = links.undo_verify(request.POST.get("undo", ""), grant=grant)
    except links.InvalidLink:
        return render_page(request, "unsubscribe.html", {**context, "bad_request": True}, status=HTTPStatus.BAD_REQUEST)
    try:
        one_click_undo(grant=grant, previous=previous, actor=actor)
    except links.InvalidLink as exc:
        return link_error(request, exc)
    except PrefCenterError as exc:
        return render_page(request, "unsubscribe.html", {**context, "refused": exc.message}, status=HTTPStatus.CONFLICT)
    return render_page(request, "unsubscribe.html", {**context, "undone": True})


# ---------------------------------------------------------------------- the link-issuing API


class PreferenceLinksView(PrefCenterAPIView):
    """`POST /v1/customers/{external_id}/preference-links`: signed links and headers for one message."""

    scopes = {"POST": ("links:create",)}
    provider_only_actions = ("post",)
    serializer_class = PreferenceLinkRequestSerializer
    output_serializer_class = PreferenceLinksSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if hasattr(self, "request_context"):
            context["tenant"] = self.tenant
        return context

    @extend_schema(
        request=PreferenceLinkRequestSerializer,
        responses={200: PreferenceLinksSerializer},
        summary="Issue self-service links",
        description=(
            "A signed link to the customer's preference page and an RFC 8058 one-click unsubscribe link, with the "
            "List-Unsubscribe headers to put on the message. Without a body the unsubscribe link opts the customer "
            "out of non-essential email; `category` or `workflow` (with `channel`, default email) narrow it; "
            "`channel` alone turns that channel off everywhere. The preferences link expires after "
            "PREFCENTER_LINK_MAX_AGE seconds (`expires_at`); the unsubscribe link does not expire by age. Both are "
            "revoked by raising the customer's link version."
        ),
    )
    def post(self, request, external_id: str) -> Response:
        customer = customer_get(tenant=self.tenant, external_id=external_id)
        scope = self.validated()["scope"]
        issued = links.links_issue(customer=customer, scope=scope)
        return self.respond(
            {
                "preferences_url": issued.preferences_url,
                "unsubscribe_url": issued.unsubscribe_url,
                "expires_at": issued.expires_at,
                "headers": issued.headers,
            }
        )


class RevokeLinksView(PrefCenterAPIView):
    """`POST /v1/customers/{external_id}/revoke-links`: end every link and customer JWT issued so far."""

    scopes = {"POST": ("links:create",)}
    provider_only_actions = ("post",)
    serializer_class = RevokeLinksRequestSerializer
    output_serializer_class = RevokedLinksSerializer

    @extend_schema(
        request=RevokeLinksRequestSerializer,
        responses={200: RevokedLinksSerializer},
        summary="Revoke a customer's self-service links and customer tokens",
        description=(
            "Raises the customer's link version: every self-service link (preference page, one-click unsubscribe) "
            "and every customer JWT issued so far for this customer stops working; links and tokens issued "
            "afterwards work. Needs `links:create` (whoever may issue links may revoke them). Recorded in the "
            "consent ledger. Another tenant's customer is a 404."
        ),
    )
    def post(self, request, external_id: str) -> Response:
        customer = customer_get(tenant=self.tenant, external_id=external_id)
        self.validated()
        revoked = customer_revoke_links(customer=customer, actor=self.actor)
        return self.respond(
            {"external_id": revoked.external_id, "link_version": revoked.link_version, "revoked_at": revoked.updated_at}
        )
