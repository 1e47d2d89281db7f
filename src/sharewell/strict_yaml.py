"""YAML that people type, read strictly: PyYAML's safe loader, refusing what it would let slip.

- A key given twice in one mapping is refused, naming both lines (PyYAML keeps the last, so a
  second ``recipients:`` would silently replace the first).
- Nesting deeper than ``MAX_DEPTH`` is refused before it is built (PyYAML composes nested nodes
  by recursion: 900 levels ended in a RecursionError and a traceback).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

# Far beyond any register document (an agreement nests five levels), far below Python's stack.
MAX_DEPTH = 64


class YamlRefused(Exception):
    """The text is not YAML this service accepts; ``line`` is 1-based where known."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlRefused(
                    f"it nests more than {MAX_DEPTH} levels deep", mark.line + 1 if mark else None
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                earlier = first_line.get(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if earlier is not None:
                raise YamlRefused(
                    f"the key '{key}' appears twice in one mapping (lines {earlier} and {line}); "
                    "keep one",
                    line,
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def load_all(text: str) -> list[Any]:
    """Every document in ``text`` (empty ones left out).

    Raises ``YamlRefused`` for a repeated key or too deep a nesting, and ``yaml.YAMLError`` for
    text that is not YAML.
    """
    return [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
