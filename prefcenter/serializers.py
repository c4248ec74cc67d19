"""The base serializer every API serializer inherits: field selection, expansion, strict types.

Selection shapes output only; it never changes what input is accepted.
"""

from __future__ import annotations

import copy
import zoneinfo
from typing import Any

from rest_framework import serializers

from prefcenter.parsers import XMLEmpty
from prefcenter.selection import Tree, prune


class StrictCharField(serializers.CharField):
    """A string that must arrive as a string: 123 or true are type errors, not "123" or "True".

    An empty XML element is null for a field that may be null and not blank (prefcenter/parsers.py).
    """

    default_error_messages = {"invalid": "Must be a string."}

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if isinstance(data, XMLEmpty) and self.allow_null and not self.allow_blank:
            data = None
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def known_time_zones() -> set[str]:
    return zoneinfo.available_timezones()


class TimeZoneField(StrictCharField):
    """An IANA time zone name (`Europe/Paris`), or blank when the field allows it."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": [*([""] if self.allow_blank else []), *sorted(known_time_zones())]}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise serializers.ValidationError(f"Unknown time zone '{value}'.") from exc
        return value


class StrictBooleanField(serializers.BooleanField):
    """true/false only (the strings "true"/"false" too, for form and XML bodies); never 1, "yes" or null."""

    default_error_messages = {"invalid": "Must be a boolean (true or false)."}
    # DRF reads an absent checkbox in a form body as False; an absent field must stay absent
    # so that model defaults (sms_opt_out=True) and partial updates hold for form bodies too.
    default_empty_html = serializers.empty

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.strip().lower() in ("true", "false"):
            return data.strip().lower() == "true"
        self.fail("invalid")
        return False  # unreachable: fail() raises


class StrictIntegerField(serializers.IntegerField):
    """An integer, or a string of digits from form/XML bodies; never a bool or a float."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, (bool, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class UniqueListField(serializers.ListField):
    """A list whose items must not repeat (the schema says `uniqueItems: true`)."""

    default_error_messages = {"not_unique": "Items must not repeat."}

    def to_internal_value(self, data: Any) -> list[Any]:
        value = super().to_internal_value(data)
        if len(set(map(repr, value))) != len(value):
            self.fail("not_unique")
        return value


# One field object for every plain answer: DRF reads its settings (format, time zone) when it renders, not when built.
_DATETIME = serializers.DateTimeField()


def datetime_text(value: Any) -> Any:
    """A datetime as a declared `DateTimeField` renders it (None stays None): for plain answers."""
    return None if value is None else _DATETIME.to_representation(value)


class SelectableMixin:
    """Applies a `fields` tree and an `expand` tree to a serializer and its nested serializers.

    `expandable_fields = {"name": lambda: (SerializerClass, {kwargs})}` declares what
    `expand` may name; an expanded field replaces (or adds) the field of that name.
    """

    expandable_fields: dict[str, Any] = {}

    def __init__(self, *args: Any, fields_tree: Tree | None = None, expand_tree: Tree | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields_tree: Tree = fields_tree or {}
        self.expand_tree: Tree = expand_tree or {}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, subtree in self.expand_tree.items():
            if name in self.expandable_fields:
                serializer_class, kwargs = self.expandable_fields[name]()
                fields[name] = serializer_class(**kwargs)
                self._hand_down(fields[name], {}, subtree)
        if self.fields_tree:
            fields = {name: field for name, field in fields.items() if name in self.fields_tree}
        for name, field in fields.items():
            self._hand_down(
                field,
                self.fields_tree.get(name, {}),
                self.expand_tree.get(name, {}) if name not in self.expandable_fields else {},
            )
        return fields

    @staticmethod
    def _hand_down(field: serializers.Field, fields_tree: Tree, expand_tree: Tree) -> None:
        target = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(target, SelectableMixin):
            if fields_tree:
                target.fields_tree = fields_tree
            if expand_tree:
                target.expand_tree = {**target.expand_tree, **expand_tree}
        elif fields_tree:
            field._selection_tree = fields_tree

    def plain_representation(self, instance: Any) -> dict[str, Any] | None:
        """The answer as plain data, built without a field object per value, or None to use the declared fields.

        The hot paths (a write's answer, a list of preferences) override it: DRF deep-copies every
        declared field for every serializer it builds, a fifth of a write's CPU (docs/bench.md). It
        must give exactly what `declared_representation` gives (tests/conventions/test_plain_answers.py
        compares them); `fields` is pruned from it, and an `expand` uses the declared fields.
        """
        return None

    def to_representation(self, instance: Any) -> Any:
        if not self.expand_tree:
            plain = self.plain_representation(instance)
            if plain is not None:
                return self.selected(plain)
        return self.declared_representation(instance)

    def declared_representation(self, instance: Any) -> Any:
        """The answer built field by field from the declared fields, `fields` and `expand` applied."""
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            tree = getattr(field, "_selection_tree", None)
            if tree and name in data:
                data[name] = prune(data[name], tree)
        return data

    def selects(self, name: str) -> bool:
        """Whether the `fields` selection keeps `name` (no selection keeps everything)."""
        return not self.fields_tree or name in self.fields_tree

    def selected(self, data: Any) -> Any:
        """Plain data built without a serializer per field (the hot paths), shaped by this serializer's `fields`."""
        return prune(data, self.fields_tree)

    # -- validation of the selection itself, before any work is done -----------------
    @classmethod
    def selection_errors(cls, fields_tree: Tree, expand_tree: Tree, **kwargs: Any) -> dict[str, list[str]]:
        probe = cls(**kwargs)
        return probe._selection_errors(fields_tree, expand_tree, "")

    def _selection_errors(self, fields_tree: Tree, expand_tree: Tree, prefix: str) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        declared = super().get_fields()  # without selection applied
        expandable = self.expandable_fields
        for name, subtree in expand_tree.items():
            if name not in expandable:
                allowed = ", ".join(sorted(expandable)) or "nothing"
                errors.setdefault("expand", []).append(
                    f"Unknown field to expand: '{prefix}{name}'. Expandable: {allowed}."
                )
                continue
            serializer_class, kwargs = expandable[name]()
            child = serializer_class(**kwargs)
            child = child.child if isinstance(child, serializers.ListSerializer) else child
            for key, value in child._selection_errors(fields_tree.get(name, {}), subtree, f"{prefix}{name}.").items():
                errors.setdefault(key, []).extend(value)
        for name, subtree in fields_tree.items():
            if name not in declared and name not in expandable:
                allowed = ", ".join(sorted({*declared, *expandable}))
                errors.setdefault("fields", []).append(f"Unknown field: '{prefix}{name}'. Known fields: {allowed}.")
                continue
            if name in expandable and name in expand_tree:
                continue
            field = declared.get(name)
            if field is None:
                continue  # an expandable name selected without expanding it: kept as its plain form
            target = field.child if isinstance(field, serializers.ListSerializer) else field
            if isinstance(target, SelectableMixin):
                for key, value in target._selection_errors(subtree, {}, f"{prefix}{name}.").items():
                    errors.setdefault(key, []).extend(value)
            elif subtree and not isinstance(
                target, (serializers.DictField, serializers.JSONField, serializers.SerializerMethodField)
            ):
                errors.setdefault("fields", []).append(f"Field '{prefix}{name}' has no nested fields to select.")
        return errors

    # -- what may be selected, for the schema (the same walk as _selection_errors) -----
    @classmethod
    def selection_paths(cls, **kwargs: Any) -> tuple[list[str], list[str]]:
        """(every path `fields` accepts on its own, every path `expand` accepts), in declaration order.

        A field of an expanded relation (`fields=category.name&expand=category`) is valid only
        together with its `expand`, which a per-parameter schema cannot say: those paths are
        left out of the `fields` list, so the list is what any client may send alone.
        """
        probe = cls(**kwargs)
        return probe._fields_paths(""), probe._expand_paths("")

    def _fields_paths(self, prefix: str) -> list[str]:
        declared = super().get_fields()
        paths: list[str] = []
        for name in dict.fromkeys([*declared, *self.expandable_fields]):
            paths.append(f"{prefix}{name}")
            field = declared.get(name)
            target = field.child if isinstance(field, serializers.ListSerializer) else field
            if isinstance(target, SelectableMixin):
                paths.extend(target._fields_paths(f"{prefix}{name}."))
        return paths

    def _expand_paths(self, prefix: str) -> list[str]:
        paths: list[str] = []
        for name, factory in self.expandable_fields.items():
            paths.append(f"{prefix}{name}")
            serializer_class, kwargs = factory()
            child = serializer_class(**kwargs)
            child = child.child if isinstance(child, serializers.ListSerializer) else child
            if isinstance(child, SelectableMixin):
                paths.extend(child._expand_paths(f"{prefix}{name}."))
        return paths


# Per serializer class, its fields as DRF first built them, never bound: the prototypes FieldPrototypesMixin copies.
_PROTOTYPES: dict[type, dict[str, serializers.Field]] = {}


def _nests(field: serializers.Field) -> bool:
    """Whether a field holds other field objects (a serializer, a list's child): those are copied deep."""
    return isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation")


class FieldPrototypesMixin:
    """A serializer's fields copied from prototypes built once per class, not deep-copied for every instance.

    DRF's `get_fields` deep-copies each declared field for every serializer it builds, and a field's
    deep copy runs its `__init__` again (validators, messages); a ModelSerializer also builds its
    fields from the model again. That was a fifth of a write's CPU (docs/bench.md, issue 16). The
    first build of a class is kept unbound as its prototypes; each instance gets a shallow copy of
    every plain field (its own binding: name, parent, source) and a deep copy of every field that
    holds others. The prototypes are never bound nor mutated, and their shared parts (validators,
    messages, choices) are read-only. Subclasses that add fields in `get_fields` add them after this.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        prototypes = _PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _PROTOTYPES[type(self)] = super().get_fields()
        return {name: copy.deepcopy(field) if _nests(field) else copy.copy(field)
                for name, field in prototypes.items()}


class PrefCenterSerializer(SelectableMixin, FieldPrototypesMixin, serializers.Serializer):
    """Base for plain serializers."""


class PrefCenterModelSerializer(SelectableMixin, FieldPrototypesMixin, serializers.ModelSerializer):
    """Base for model serializers."""


class RejectUnknownFieldsMixin(FieldPrototypesMixin):
    """Unknown input fields are a 400 naming them, not silently dropped."""

    # The schema says `additionalProperties: false` for every serializer with this flag (prefcenter/schema.py).
    refuses_unknown_fields = True

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)
