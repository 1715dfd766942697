"""Hypothesis strategies for hostile JSON: any JSON value, and a sound document with a few parts replaced by
any JSON value or removed (near-valid input, which reaches deeper into a checker than noise does)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["", "a", "b", "x", "yes", "no", "select", "group", "file", "review", "step",
                              "<script>", "two words"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=10) | st.sampled_from(
                        ["key", "type", "label", "fields", "options", "show_if", "field", "equals", "in",
                         "question", "min", "max", "value"]), inner, max_size=5),
                    max_leaves=25)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for name, inner in items:
        yield from _paths(inner, (*prefix, name))


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> Any:
    """One of `documents`, with one to three parts replaced by any JSON value or removed."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(list(_paths(document))))
        if not path:
            return draw(JSON)
        parent = document
        for name in path[:-1]:
            parent = parent[name]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON)
    return document
