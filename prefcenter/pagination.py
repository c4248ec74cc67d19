"""Page-number pagination with a capped page size (`page_size` up to 200).

`page` and `page_size` are positive integers, as the schema says: anything else (`0`, `-1`,
`abc`, `null`, `last`) is a 400 naming the parameter, never silently the default page size.
A `page_size` above 200 is served at 200 (documented); a page past the last one is a 404.
"""

from __future__ import annotations

from typing import Any

from rest_framework import pagination

from prefcenter.exceptions import PrefCenterError


def positive_integer(query_params: Any, name: str) -> int | None:
    """The parameter as a positive integer, None when absent; anything else is a 400."""
    if name not in query_params:
        return None
    raw = query_params[name]
    if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise PrefCenterError(
            f"{name} must be a positive integer.", errors={name: [f"Must be a positive integer; got '{raw[:50]}'."]}
        )
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        positive_integer(request.query_params, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Any) -> int:
        size = positive_integer(request.query_params, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Number of results to return per page (default {self.page_size}; above "
                    f"{self.max_page_size}, {self.max_page_size} are returned)."
                )
        return parameters
