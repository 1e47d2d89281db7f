"""Checks every HTML page a test fetches must pass (after GOV.UK Notify's admin test client)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.h1: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
        if tag in ("h1", "title"):
            self._in = tag
            if tag == "h1":
                self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1[-1] += data
        elif self._in == "title":
            self.title += data


def check_page(html: str, *, has_errors: bool = False) -> _PageParser:
    page = _PageParser()
    page.feed(html)
    heading = " ".join(page.h1[0].split()) if page.h1 else ""
    title = " ".join(page.title.split())
    assert len(page.h1) == 1, f"a page needs exactly one <h1>, found {len(page.h1)}"
    expected = f"Error: {heading}" if has_errors else heading
    assert title.startswith(expected), f"<title> {title!r} must start with {expected!r}"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"ids used more than once: {duplicates}"
    assert 'lang="en"' in html
    return page
