"""A REST API's resources as a tree, and which resource and method a request reaches:
at each level a literal path part first, then the variable one (`{id}`), then the greedy
one (`{proxy+}`), backtracking as API Gateway does; a method before `ANY`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Node:
    resource: dict[str, Any] | None = None
    literals: dict[str, Node] = field(default_factory=dict)
    variable: tuple[str, Node] | None = None
    greedy: tuple[str, Node] | None = None


def build(resources: dict[str, dict[str, Any]]) -> Node:
    root = Node()
    for resource in resources.values():
        node = root
        for part in [p for p in resource["path"].split("/") if p]:
            if part.endswith("+}"):
                if node.greedy is None:
                    node.greedy = (part[1:-2], Node())
                node = node.greedy[1]
            elif part.startswith("{"):
                if node.variable is None:
                    node.variable = (part[1:-1], Node())
                node = node.variable[1]
            else:
                node = node.literals.setdefault(part, Node())
        node.resource = resource
    return root


def find(
    root: Node, path: str, method: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]] | None:
    """(resource, method, path parameters) for a decoded path, or None."""
    segments = [s for s in path.split("/") if s] if path != "/" else []
    return _walk(root, segments, method, {})


def _method(node: Node, method: str) -> dict[str, Any] | None:
    if node.resource is None:
        return None
    methods = node.resource.get("resourceMethods") or {}
    return methods.get(method) or methods.get("ANY")


def _walk(
    node: Node, segments: list[str], method: str, params: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]] | None:
    if not segments:
        found = _method(node, method)
        return (node.resource, found, params) if found and node.resource else None  # type: ignore[return-value]
    head, rest = segments[0], segments[1:]
    child = node.literals.get(head)
    if child is not None:
        result = _walk(child, rest, method, params)
        if result is not None:
            return result
    if node.variable is not None:
        name, child = node.variable
        result = _walk(child, rest, method, {**params, name: head})
        if result is not None:
            return result
    if node.greedy is not None:
        name, child = node.greedy
        found = _method(child, method)
        if found is not None and child.resource is not None:
            return child.resource, found, {**params, name: "/".join(segments)}
    return None
