"""Pages of a long list: which page, how many in all, and which rows a page shows."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Paged:
    """Where one page sits in a list of ``total`` rows, ``per_page`` at a time."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.total > self.offset else 0

    @property
    def last_shown(self) -> int:
        return min(self.page * self.per_page, self.total)
