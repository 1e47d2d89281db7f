"""Every law in the catalogue has a resident's words, and they are plain."""

from __future__ import annotations

from factories.wording import MACHINE_NAME, plain
from sharewell.register.catalogue import gateway_catalogue
from sharewell.register.plain_law import PLAIN_LAW, plain_law


def test_every_gateway_in_the_catalogue_has_a_residents_words_and_no_others() -> None:
    assert set(PLAIN_LAW) == {g.id for g in gateway_catalogue()}


def test_the_words_are_plain() -> None:
    for gateway_id, words in PLAIN_LAW.items():
        plain(words.says + ".")
        assert not MACHINE_NAME.search(words.law.replace("(1)(a)", "")), gateway_id


def test_each_short_name_is_the_law_the_catalogue_cites() -> None:
    """The short name shortens the citation; it never names another law."""
    for gateway in gateway_catalogue():
        act = (
            PLAIN_LAW[gateway.id]
            .law.split(",")[0]
            .replace("UK General Data Protection Regulation", "UK GDPR")
        )
        assert act.split(" (")[0] in gateway.citation or act in gateway.title, gateway.id


def test_a_gateway_added_later_is_shown_by_its_own_title() -> None:
    assert plain_law("a-new-law", "A new law", "An Act 2030, s.1").law == "An Act 2030, s.1"
