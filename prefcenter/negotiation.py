"""Content negotiation with `format=json|xml` (query) or `Accept`; an unknown format is a 400, not a 404."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

from prefcenter.exceptions import PrefCenterError


class FormatNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if requested:
            formats = [renderer.format for renderer in renderers]
            if requested not in formats:
                raise PrefCenterError(
                    f"Unknown format '{requested}'.",
                    code="invalid_format",
                    errors={"format": [f"Must be one of: {', '.join(formats)}."]},
                )
            # An explicit format wins over Accept: seed 000's clients send `Accept: application/json`
            # on every call, and `format=xml` must still answer XML (DRF would answer 406).
            renderer = next(renderer for renderer in renderers if renderer.format == requested)
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
