"""Entries: canonical bytes, no personal data, unlinkable commitments, a complete trail scan."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from sharewell.ledger.entries import (
    EntryKind,
    TrailKeyInvalid,
    canonical_json,
    decode_entry,
    encode_entry,
    new_trail_key,
    opens,
    read_trail_key,
    scan_trail,
    trail_key_document,
)

WHEN = dt.datetime(2026, 11, 25, 16, 5, tzinfo=dt.UTC)


def decision(key: bytes | None) -> bytes:
    return encode_entry(
        EntryKind.DECISION,
        time=WHEN,
        organisation="northbridge",
        subject_key=key,
        purpose="free-school-meals",
        gateways=["consent-route"],
        fields=["first_name", "dob"],
        outcome="permit",
    )


def test_entries_are_canonical_json() -> None:
    data = decision(new_trail_key())
    assert data == rfc8785.dumps(json.loads(data))
    body = decode_entry(data)
    assert body["format"] == "sharewell-entry/v1"
    assert body["time"] == "2026-11-25T16:05:00.000Z"
    assert body["fields"] == ["first_name", "dob"]


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.integers(min_value=2**53 - 2, max_value=2**53 + 1)  # either side of the safe limit
    | st.integers(min_value=-(2**53) - 1, max_value=-(2**53) + 2)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),  # control characters, astral planes and lone surrogates included
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON_VALUES)
def test_canonical_json_is_rfc8785_byte_for_byte(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_two_entries_about_one_person_share_nothing_that_links_them() -> None:
    key = new_trail_key()
    first, second = decode_entry(decision(key)), decode_entry(decision(key))
    assert first["subject"]["nonce"] != second["subject"]["nonce"]
    assert first["subject"]["commitment"] != second["subject"]["commitment"]
    assert {k: v for k, v in first.items() if k != "subject"} == {
        k: v for k, v in second.items() if k != "subject"
    }


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_entry(EntryKind.AGREEMENT, time=dt.datetime(2026, 1, 1), organisation="x")


@given(owners=st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=60))
def test_a_trail_scan_finds_exactly_the_subjects_entries(owners: list[int | None]) -> None:
    keys = [new_trail_key() for _ in range(5)]
    log = [
        (index, decision(None if owner is None else keys[owner]))
        for index, owner in enumerate(owners)
    ]
    for subject, key in enumerate(keys):
        found = [index for index, _ in scan_trail(log, key)]
        assert found == [index for index, owner in enumerate(owners) if owner == subject]


def test_garbage_entries_never_open() -> None:
    key = new_trail_key()
    assert not opens(decode_entry(b"\xff not json"), key)
    assert not opens({"subject": {"nonce": "!!", "commitment": "x"}}, key)
    assert list(scan_trail([(0, b"[1, 2]"), (1, b"")], key)) == []


def test_trail_key_files_round_trip_and_bad_ones_are_explained() -> None:
    key = new_trail_key()
    assert read_trail_key(trail_key_document(key, log_origin="x.example/log")) == key
    with pytest.raises(TrailKeyInvalid, match="could not be read"):
        read_trail_key("not json")
    with pytest.raises(TrailKeyInvalid, match="not a sharewell trail key"):
        read_trail_key('{"format": "something-else", "key": ""}')
