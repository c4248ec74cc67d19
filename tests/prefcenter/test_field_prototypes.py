"""FieldPrototypesMixin: fields copied from per-class prototypes are each instance's own, and prototypes stay clean."""

from __future__ import annotations

from rest_framework import serializers

from prefcenter.serializers import _PROTOTYPES, PrefCenterSerializer, StrictCharField


class Inner(PrefCenterSerializer):
    code = StrictCharField()


class Outer(PrefCenterSerializer):
    name = StrictCharField(max_length=5)
    flag = serializers.BooleanField(required=False)
    inner = Inner(required=False)
    items = serializers.ListField(child=StrictCharField(), required=False)


def test_each_instance_binds_its_own_fields_when_built_from_prototypes():
    first, second = Outer(), Outer()
    for name in ("name", "flag", "inner", "items"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["items"].child is not second.fields["items"].child
    assert first.fields["inner"].fields["code"] is not second.fields["inner"].fields["code"]
    for prototype in _PROTOTYPES[Outer].values():  # never bound, so never tied to a request
        assert prototype.parent is None and prototype.field_name is None


def test_selection_of_one_instance_does_not_reach_the_next_when_fields_are_shared_prototypes():
    selected = Outer({"name": "ab", "flag": True, "inner": {"code": "x"}}, fields_tree={"inner": {"code": {}}})
    assert selected.data == {"inner": {"code": "x"}}
    assert Outer({"name": "ab", "flag": True, "inner": {"code": "x"}}).data == {
        "name": "ab", "flag": True, "inner": {"code": "x"}}


def test_validation_of_one_instance_does_not_reach_the_next_when_fields_are_copied():
    bad = Outer(data={"name": "toolong", "items": [1]})
    assert not bad.is_valid()
    assert set(bad.errors) == {"name", "items"}
    good = Outer(data={"name": "ok", "items": ["a"], "inner": {"code": "c"}})
    assert good.is_valid(), good.errors
    assert good.validated_data == {"name": "ok", "items": ["a"], "inner": {"code": "c"}}
