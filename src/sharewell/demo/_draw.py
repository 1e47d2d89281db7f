"""Cheap draws from a seeded ``random.Random``.

``Random.randint`` and ``Random.choice`` cost several times a ``Random.random`` call; these
helpers use one ``random()`` each, which matters when a million people are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

T = TypeVar("T")


def between(rng: Random, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, both included."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def below(rng: Random, n: int) -> int:
    """A whole number from 0 to ``n - 1``."""
    return int(rng.random() * n)
