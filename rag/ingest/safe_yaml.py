"""Hardened YAML for front matter: safe constructors only, bounded nesting and alias expansion.

Shared by document loading and the facet mapping file; unknown tags are kept as plain values
and reported instead of failing the whole block.
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_YAML_DEPTH = 50
"""Deepest nesting of mappings/sequences accepted in front matter (aliases included)."""
MAX_ALIAS_EXTRA_NODES = 10_000
"""How many nodes aliases may add to a front matter when expanded ("billion laughs" guard)."""


class YAMLLimitError(yaml.YAMLError):
    """Front matter nested too deeply or expanding too much through aliases."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 0-based line in the parsed text, when known

    def __str__(self) -> str:
        return self.message if self.line is None else f"{self.message} (line {self.line + 1})"


class SafeYAMLLoader(yaml.SafeLoader):
    """yaml.SafeLoader with YAML-1.2-like scalars and resource limits.

    * Only plain data: unknown and python tags are read as the plain value they tag.
    * Scalars: true/false (not yes/no/on/off), null/~, decimal ints without leading zeros
      (so "001" stays a string), floats with a dot or exponent; no sexagesimal numbers and no
      implicit timestamps (2020-01-01 stays the string "2020-01-01").
    * Nesting deeper than MAX_YAML_DEPTH, recursive aliases, and aliases adding more than
      MAX_ALIAS_EXTRA_NODES nodes when expanded raise YAMLLimitError.
    """

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._saw_alias = False
        self.unknown_tags: list[str] = []

    def fetch_flow_collection_start(self, TokenClass):  # type: ignore[override]
        # PyYAML's scanner is quadratic in deeply nested flow collections: stop before that.
        if self.flow_level >= MAX_YAML_DEPTH:
            raise YAMLLimitError(f"nested deeper than {MAX_YAML_DEPTH} levels", self.get_mark().line)
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._saw_alias = True
            return super().compose_node(parent, index)
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise YAMLLimitError(f"nested deeper than {MAX_YAML_DEPTH} levels", mark.line)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self):  # type: ignore[override]
        node = super().compose_document()
        if self._saw_alias and node is not None:
            _check_expansion(node, self._nodes + MAX_ALIAS_EXTRA_NODES)
        return node


def _check_expansion(root: Any, budget: int) -> None:
    memo: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def visit(node: Any, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            size, height = memo[key]
        else:
            if key in active:
                raise YAMLLimitError("recursive alias (a node that contains itself)")
            if depth > MAX_YAML_DEPTH:
                raise YAMLLimitError(f"aliases nest it deeper than {MAX_YAML_DEPTH} levels")
            active.add(key)
            size, height = 1, 0
            if isinstance(node, SequenceNode):
                children = node.value
            elif isinstance(node, MappingNode):
                children = [c for pair in node.value for c in pair]
            else:
                children = []
            for child in children:
                s, h = visit(child, depth + 1)
                size += s
                height = max(height, h + 1)
                if size > budget:
                    raise YAMLLimitError(f"aliases expand beyond {budget} nodes (a 'billion laughs' pattern?)")
            active.discard(key)
            memo[key] = (size, height)
        if depth + height > MAX_YAML_DEPTH:
            raise YAMLLimitError(f"aliases nest it deeper than {MAX_YAML_DEPTH} levels")
        return size, height

    visit(root, 0)


def _construct_untagged(loader: SafeYAMLLoader, node: Any) -> Any:
    loader.unknown_tags.append(node.tag)
    if isinstance(node, ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
):
    SafeYAMLLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)
SafeYAMLLoader.add_constructor(None, _construct_untagged)  # type: ignore[arg-type]


def _plain(value: Any) -> Any:
    """Front-matter data as JSON-like Python: str keys, dates as ISO strings, no sets/bytes."""
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _plain_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    plain = _plain(key)
    return plain if isinstance(plain, str) else str(plain)


def safe_yaml_load(text: str, ignored_tags: list[str] | None = None) -> Any:
    """Parse YAML with SafeYAMLLoader; plain data out (see `_plain`). Raises yaml.YAMLError.

    Tags it does not construct (python/…, custom !tags) are read as the plain value they tag
    and listed in `ignored_tags` when given.
    """
    loader = SafeYAMLLoader(text)
    try:
        data = loader.get_single_data()
        if ignored_tags is not None:
            ignored_tags.extend(t.replace("tag:yaml.org,2002:", "!!") for t in loader.unknown_tags)
    except yaml.YAMLError:
        raise
    except RecursionError as exc:
        raise YAMLLimitError("too deeply nested") from exc
    except Exception as exc:  # e.g. "!!int abc", "!!timestamp nonsense"
        raise yaml.YAMLError(f"invalid value ({type(exc).__name__}: {exc})") from exc
    finally:
        loader.dispose()
    return _plain(data)


# ============================================================================ front matter
