"""`fields` and `expand` query parameters, parsed once into trees.

`fields=id,workflow.slug` becomes {"id": {}, "workflow": {"slug": {}}}; `expand=category`
becomes {"category": {}}. Both accept comma-separated values and repeated parameters
(`fields=a&fields=b`, also `fields[]=a`). Only the root serializer reads the request;
each level hands its subtree down (drf-flex-fields' algorithm, our own small version).
"""

from __future__ import annotations

from typing import Any

Tree = dict[str, "Tree"]


def parse_tree(values: list[str]) -> Tree:
    tree: Tree = {}
    for value in values:
        for item in value.split(","):
            path = item.strip()
            if not path:
                continue
            node = tree
            for part in path.split("."):
                node = node.setdefault(part.strip(), {})
    return tree


def query_values(query_params: Any, name: str) -> list[str]:
    return [*query_params.getlist(name), *query_params.getlist(f"{name}[]")]


def tree_paths(tree: Tree, prefix: str = "") -> list[str]:
    out = []
    for key, sub in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        out.append(path)
        out.extend(tree_paths(sub, path))
    return out


def prune(data: Any, tree: Tree) -> Any:
    """Keep only the selected keys of plain data: a dict's keys in `tree` (each pruned by its subtree),
    every item of a list pruned alike; an empty tree keeps everything.

    The one implementation of `fields` on plain data: dict-valued fields (`capabilities`), serializers
    that build their answer as dicts (`SelectableMixin.selected`) and views that answer plain data
    (delivery evaluation, explain) all prune with it.
    """
    if not tree:
        return data
    if isinstance(data, list):
        return [prune(item, tree) for item in data]
    if isinstance(data, dict):
        return {key: prune(value, tree[key]) for key, value in data.items() if key in tree}
    return data
