"""The strict YAML reader: refuses repeated keys and deep nesting, reads everything else as
PyYAML's safe loader does."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sharewell import strict_yaml

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(documents)
def test_what_the_safe_loader_reads_is_read_the_same(document: Any) -> None:
    text = yaml.safe_dump(document)
    assert strict_yaml.load_all(text) == [d for d in yaml.safe_load_all(text) if d is not None]


def test_a_repeated_key_is_refused_with_both_lines() -> None:
    with pytest.raises(strict_yaml.YamlRefused) as refused:
        strict_yaml.load_all("id: a\nrecipients: [x]\nname: n\nrecipients: [y]\n")
    assert refused.value.line == 4
    assert "'recipients' appears twice in one mapping (lines 2 and 4)" in refused.value.problem


def test_the_same_key_in_different_mappings_is_fine() -> None:
    assert strict_yaml.load_all("a: {id: 1}\nb: {id: 2}\n---\nid: 3\n") == [
        {"a": {"id": 1}, "b": {"id": 2}},
        {"id": 3},
    ]


@pytest.mark.parametrize("depth", [strict_yaml.MAX_DEPTH - 1, strict_yaml.MAX_DEPTH])
def test_nesting_up_to_the_limit_is_read(depth: int) -> None:
    assert strict_yaml.load_all("[" * depth + "]" * depth)


@pytest.mark.parametrize("depth", [strict_yaml.MAX_DEPTH + 1, 900, 100_000])
def test_deeper_nesting_is_refused_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(strict_yaml.YamlRefused, match="nests more than"):
        strict_yaml.load_all("[" * depth + "]" * depth)
