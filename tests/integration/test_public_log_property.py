"""No leaf of any kind holds an email, a NINO, a name, an address, a postcode or any string a
person typed: neither in its public part nor in its sealed part, over generated stores."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from factories import population
from factories.databases import rolled_back
from factories.population import Person
from sharewell.consent import services as consent
from sharewell.consent.errors import SubjectUnknown
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import decode_entry, open_entry

EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
NINO = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", re.IGNORECASE)

STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["schools", "southmere", "dwp", "stranger", "portal", "phone", "paper", "suspend"]
        ),
        st.lists(st.integers(0, 5), min_size=1, max_size=6),
        st.sampled_from(["granted", "withdrawn"]),
    ),
    min_size=1,
    max_size=8,
)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)


def _says_nothing(strings: list[str], residents: list[Person], typed: list[str]) -> None:
    text = "\n".join(strings)
    tokens = {t.lower() for t in re.split(r"[^A-Za-z0-9]+", text) if t}
    for person in residents:
        for value in person.says():
            if re.fullmatch(r"[A-Za-z0-9]+", value):
                assert value.lower() not in tokens, value
            else:
                assert value.lower() not in text.lower(), value
    for words in typed:
        assert words.lower() not in text.lower(), words
    assert not EMAIL.search(text)
    assert not NINO.search(text)
    assert not POSTCODE.search(text)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32), steps=STEPS)
def test_no_leaf_holds_anything_a_person_is_or_typed(
    engine: Engine, tmp_path: Path, seed: int, steps: list[tuple[str, list[int], str]]
) -> None:
    rng = random.Random(seed)
    residents = population.people(6, rng)
    strangers = population.people(8, rng)[6:]  # nobody holds them
    typed: list[str] = []
    with rolled_back(engine) as session:
        population.borough(session, tmp_path, residents)
        start = ledger.sequenced_size(session)
        for step, who, state in steps:
            chosen = [residents[i] for i in dict.fromkeys(who)]
            if step in population.ASKERS:
                population.ask(session, step, [p.nino for p in chosen])
            elif step == "stranger":
                population.ask(session, "schools", [p.nino for p in strangers])
            elif step == "suspend":
                reason = f"{chosen[0].first_name} {chosen[0].last_name}, {chosen[0].address}"
                typed.append(reason)
                population.suspend_and_restore(session, reason)
            else:
                population.choose(session, chosen[0], state, step)
                if state == "granted":
                    typed.append(f"{chosen[0].first_name} {chosen[0].last_name} of")
        keys: list[bytes] = []
        for person in residents + strangers:
            try:
                subject = consent.resolve_subject(session, "nino", person.nino)
            except SubjectUnknown:
                continue
            keys.extend(consent.trail_keys(session, subject.id))
        everyone = residents + strangers
        written = list(ledger.iter_entries(session, start))
        assert written  # every step writes at least one leaf
        for _, data in written:
            body = decode_entry(data)
            public = {k: v for k, v in body.items() if k not in ("subject", "sealed")}
            _says_nothing(list(_strings(public)), everyone, typed)
            opened = open_entry(data, keys)
            if opened is not None:
                _says_nothing(list(_strings(dict(opened.facts))), everyone, typed)


def test_the_check_sees_a_person_when_one_is_there() -> None:
    rng = random.Random(1)
    (person,) = population.people(1, rng)
    for leak in (person.nino, person.email, person.postcode, person.address, person.last_name):
        try:
            _says_nothing(["free-school-meals", f"by {leak}"], [person], [])
        except AssertionError:
            continue
        raise AssertionError(f"{leak!r} was not seen")
