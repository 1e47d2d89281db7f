"""An outsider's attack on the public log, holding nothing but its leaves.

A generated borough runs a few thousand decisions (lists of people asked about again and again,
one-person checks, consents given and withdrawn in the portal and by phone, an agreement
suspended with a reason that names a resident) and publishes the log. The attacks that rebuilt
every request and followed people across batches in format v1 — grouping by time (precision
and recall 1.0) and linking position *i* to position *i* across re-runs (99.3% right) — are
scored here against the store, and must do no better than chance. No leaf may tell an outsider
a person's outcome, reasons, consent state or the dataset they are in, and the Go verifier
must still accept the export.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from conformance.test_independent_verifier import tlog_verify, verify
from factories import population
from factories.databases import fresh_database, migrated_engine
from factories.population import FSM, SCHOOLS, SHARED_SERVICE, Person
from sharewell import db
from sharewell.broker.models import BrokerDecision
from sharewell.broker.policy import Outcome, ReasonCode
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus
from sharewell.ledger import publish
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import decode_entry
from sharewell.ledger.note import Signer

__all__ = ["tlog_verify"]  # the Go verifier, built once for this module too

SIGNER = Signer.generate("sharewell.example/attack")
LISTS = (1, 2, 3, 5, 8, 13, 21, 34, 59, 60, 90, 120)  # a campaign's lists, each re-run
RERUNS = 4
SINGLE_CHECKS = 400


@dataclass(frozen=True)
class Block:
    """The leaves one request was written as: [start, end) of the log, and its list."""

    start: int
    end: int
    list_id: int | None  # which re-run list (None: a one-person check)


@dataclass(frozen=True)
class Published:
    entries: list[bytes]  # the whole log, as anyone can download it
    blocks: list[Block]
    request_of: dict[int, str]  # from the store: leaf index -> request id (real decisions)
    subject_of: dict[int, str | None]  # leaf index -> subject id
    outcome_of: dict[int, str]
    residents: list[Person]
    typed: list[str]  # what people typed that reached sharewell
    exported: Path


def _generate(directory: Path) -> Iterator[Published]:
    rng = random.Random(20261208)
    residents = population.people(600, rng)
    blocks: list[Block] = []
    typed: list[str] = []
    with fresh_database(directory) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            population.borough(session, directory, residents)

        lists = [rng.sample(residents, size) for size in LISTS]
        plan: list[tuple[str, object]] = []
        plan += [("list", (i, run_no)) for i, _ in enumerate(lists) for run_no in range(RERUNS)]
        plan += [("single", rng.choice(residents)) for _ in range(SINGLE_CHECKS)]
        plan += [("choice", rng.choice(residents)) for _ in range(120)]
        plan += [("suspend", rng.choice(residents)) for _ in range(2)]
        rng.shuffle(plan)
        for step, what in plan:
            if step == "list":
                list_id, _ = what  # type: ignore[misc]
                people = lists[list_id]
                asker = "southmere" if list_id % 2 else "schools"
                with db.transaction(engine) as session:
                    start = ledger.sequenced_size(session)
                    population.ask(session, asker, [p.nino for p in people])
                    blocks.append(Block(start, ledger.sequenced_size(session), list_id))
            elif step == "single":
                person = what
                assert isinstance(person, Person)
                asker = rng.choice(sorted(population.ASKERS))
                with db.transaction(engine) as session:
                    start = ledger.sequenced_size(session)
                    population.ask(session, asker, [person.nino])
                    blocks.append(Block(start, ledger.sequenced_size(session), None))
            elif step == "choice":
                person = what
                assert isinstance(person, Person)
                with db.transaction(engine) as session:
                    population.choose(
                        session,
                        person,
                        rng.choice(["granted", "granted", "withdrawn"]),
                        rng.choice(["portal", "phone", "paper"]),
                    )
                typed.append(f"I, {person.first_name} {person.last_name} of {person.address}")
            else:
                person = what
                assert isinstance(person, Person)
                reason = f"{person.first_name} {person.last_name} ({person.nino}) complained"
                typed.append(reason)
                with db.transaction(engine) as session:
                    population.suspend_and_restore(session, reason)
        with db.transaction(engine) as session:
            rows = session.execute(
                select(
                    BrokerDecision.ledger_index,
                    BrokerDecision.request_id,
                    BrokerDecision.subject_id,
                    BrokerDecision.outcome,
                )
            ).all()
            ledger.integrate(session, SIGNER)
            entries = [data for _, data in ledger.iter_entries(session)]
            publish.export_log(session, directory / "log")
        engine.dispose()
    yield Published(
        entries=entries,
        blocks=blocks,
        request_of={index: request for index, request, _, _ in rows},
        subject_of={index: subject for index, _, subject, _ in rows},
        outcome_of={index: outcome for index, _, _, outcome in rows},
        residents=residents,
        typed=typed,
        exported=directory / "log",
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    yield from _generate(tmp_path_factory.mktemp("attack"))


def _decisions(log: Published) -> list[tuple[int, dict[str, object]]]:
    return [
        (index, body)
        for index, body in ((i, decode_entry(e)) for i, e in enumerate(log.entries))
        if body.get("kind") == "decision"
    ]


def test_the_log_holds_thousands_of_decisions(published: Published) -> None:
    assert len(published.request_of) >= 2_000
    assert len(_decisions(published)) > len(published.request_of)  # padding leaves too


def test_grouping_by_time_does_no_better_than_chance(published: Published) -> None:
    """The attack that rebuilt 1,098 of 1,098 requests from v1's shared millisecond."""
    leaves = _decisions(published)
    by_time: dict[object, list[int]] = defaultdict(list)
    for index, body in leaves:
        by_time[body.get("hour")].append(index)
    assert all("time" not in body for _, body in leaves)

    def same_request(a: int, b: int) -> bool:
        request = published.request_of.get(a)
        return request is not None and request == published.request_of.get(b)

    requests = Counter(published.request_of.values())
    true_pairs = sum(n * (n - 1) // 2 for n in requests.values())
    all_pairs = len(leaves) * (len(leaves) - 1) // 2
    chance = true_pairs / all_pairs
    guessed = sum(len(g) * (len(g) - 1) // 2 for g in by_time.values())
    right = sum(
        sum(1 for a, b in combinations(group, 2) if same_request(a, b))
        for group in by_time.values()
    )
    precision = right / guessed
    # One hour holds everything, unless the run crossed an hour, which at most halves a group.
    assert precision <= 2.5 * chance, (precision, chance)


def test_linking_by_position_across_reruns_does_no_better_than_chance(
    published: Published,
) -> None:
    """The attack that followed 359 people across 4 re-runs (99.3% right) in v1."""
    runs: dict[int, list[Block]] = defaultdict(list)
    for block in published.blocks:
        if block.list_id is not None:
            runs[block.list_id].append(block)
    links = right = 0
    expected = 0.0
    for list_id, blocks in runs.items():
        assert len(blocks) == RERUNS
        people = LISTS[list_id]
        for first, second in combinations(blocks, 2):
            width = first.end - first.start
            assert width == second.end - second.start == 1 << (people - 1).bit_length()
            for offset in range(width):
                a, b = first.start + offset, second.start + offset
                links += 1
                subject = published.subject_of.get(a)
                right += subject is not None and subject == published.subject_of.get(b)
            expected += people / width  # a random order puts someone in the same place
    spread = math.sqrt(expected)
    assert right <= expected + 5 * spread + 3, (right, expected, links)
    assert links > 2_000


def _public_strings(body: dict[str, object]) -> Iterator[str]:
    def walk(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from walk(item)

    for key, value in body.items():
        if key not in ("subject", "sealed"):  # random-looking bytes, nobody's words
            yield key
            yield from walk(value)


def test_no_leaf_tells_an_outsider_what_happened_to_anyone(published: Published) -> None:
    revealing = (
        {o.value for o in Outcome}
        | {r.value for r in ReasonCode}
        | {s.value for s in ConsentStatus}
        | {c.value for c in CaptureMethod}
    )
    for index, data in enumerate(published.entries):
        body = decode_entry(data)
        if body.get("kind") == "agreement":
            continue  # about no one: the agreement's own terms are public
        said = set(_public_strings(body))
        assert not said & revealing, (index, said & revealing)
        assert not any("." in s and s.split(".", 1)[0] == population.HB for s in said), index
        assert not any(population.HB in s for s in said), index


def test_a_requests_leaves_are_alike_whatever_happened_to_each_person(
    published: Published,
) -> None:
    for block in published.blocks:
        lengths = {len(published.entries[i]) for i in range(block.start, block.end)}
        headers = {
            json.dumps(
                {
                    k: v
                    for k, v in decode_entry(published.entries[i]).items()
                    if k not in ("subject", "sealed")
                },
                sort_keys=True,
            )
            for i in range(block.start, block.end)
        }
        assert len(lengths) == 1
        assert len(headers) == 1
    # One-person checks by the schools ask the same fields: permits and refusals look alike.
    schools_singles = [
        block.start
        for block in published.blocks
        if block.list_id is None
        and decode_entry(published.entries[block.start]).get("organisation") == SCHOOLS.organisation
    ]
    outcomes = {published.outcome_of[i] for i in schools_singles}
    assert {"permit", "deny"} <= outcomes
    assert len({len(published.entries[i]) for i in schools_singles}) == 1


def test_nobody_typed_a_word_into_the_log(published: Published) -> None:
    text = b"\n".join(published.entries).lower()
    for person in published.residents[:200]:
        for value in person.says():
            if " " in value or "@" in value:
                assert value.lower().encode() not in text
    for words in published.typed:
        assert words.lower().encode() not in text


def test_the_go_verifier_accepts_the_export(published: Published, tlog_verify: Path) -> None:
    result = verify(tlog_verify, SIGNER.vkey, published.exported)
    assert result.returncode == 0, result.stderr
    assert f"{len(published.entries)} entries" in result.stdout


def test_the_agreement_under_which_requests_were_made_is_public(published: Published) -> None:
    """What the log is for: anyone can see who asked, under what, for what."""
    agreements = Counter(body.get("agreement") for _, body in _decisions(published))
    assert agreements[FSM] > 0
    assert agreements[SHARED_SERVICE] > 0
