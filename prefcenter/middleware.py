"""Request-wide concerns that run before any view: request ids and the body size cap."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from prefcenter.handlers import api_error_response, is_api_path

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind PREFCENTER_NUM_PROXIES proxies the address the
    outermost of them saw (X-Forwarded-For, counted from the right: what a client writes itself
    on the left is never trusted)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PREFCENTER_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


class RequestContextMiddleware:
    """Gives every request an id (the caller's `X-Request-ID` if sane) and echoes it back,
    and its client address (`request.client_ip`, see client_ip).

    The id is stored on consent events so an auditor can tie a ledger line to a log line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.client_ip = client_ip(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class BodySizeLimitMiddleware:
    """Refuses request bodies over PREFCENTER_MAX_BODY_BYTES with 413 before anything parses them.

    DRF reads JSON straight from the stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    alone does not protect the API. A body sent without a Content-Length (chunked
    transfer encoding) is refused with 400: Django reads such a body as empty, so the
    request would otherwise run as if nothing had been sent (a POST creating a blank row).
    A NUL character in the path or query is refused with 400 too: PostgreSQL cannot
    store or compare text containing it, and no identifier of ours contains one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.PREFCENTER_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self._refuse(request, 400, "Content-Length is not a number.")
        if length > limit:
            return self._refuse(request, 413, f"Request body too large: {length} bytes; the limit is {limit}.")
        if "\x00" in request.path or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return self._refuse(request, 400, "NUL characters are not allowed in the path or query.", code="invalid")
        if not length and request.META.get("HTTP_TRANSFER_ENCODING"):
            return self._refuse(
                request,
                400,
                "Send the request body with a Content-Length header; chunked bodies are not accepted.",
                code="length_required",
            )
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
        if not is_api_path(request.path):
            return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        code = code or ("request_too_large" if status == 413 else "invalid")
        return api_error_response(request, status, message, code, reach_errors=[message])
