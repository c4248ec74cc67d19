"""Filters for the TeamUp customer list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from customers.models import Customer
from prefcenter.filters import UTCDateTimeFilter


class CustomerFilterSet(django_filters.FilterSet):
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    external_id = django_filters.CharFilter(field_name="external_id")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", help_text="Matches names, email or external id.")

    class Meta:
        model = Customer
        fields = ["email", "external_id", "created_after", "created_before", "search"]

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
            | Q(external_id__icontains=value)
        )
