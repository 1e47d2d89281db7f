"""Leaves (format v2): canonical bytes, a public part with nothing about anyone, a sealed part
only the person opens, commitments bound to their leaf, padding and shuffling, key rotation."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sharewell.ledger.entries import (
    SEAL_BLOCK,
    Leaf,
    TrailKeyInvalid,
    canonical_json,
    decode_entry,
    encode_group,
    encode_leaf,
    new_trail_key,
    open_entry,
    read_trail_keys,
    scan_trail,
    trail_key_document,
)
from sharewell.ledger.records import (
    AgreementPublic,
    ConsentPublic,
    DecisionPublic,
    DecisionSealed,
    RequesterKind,
    exact_time,
)

WHEN = dt.datetime(2026, 11, 25, 16, 5, 7, 123000, tzinfo=dt.UTC)
PUBLIC = DecisionPublic(
    organisation="northbridge-schools",
    purpose="free-school-meals",
    agreement="northbridge-hb-fsm-consent",
    gateways=("consent-route",),
)


def sealed(
    outcome: str = "permit", released: tuple[str, ...] = ("hb.first_name",)
) -> DecisionSealed:
    return DecisionSealed(
        time=exact_time(WHEN),
        outcome=outcome,
        discloser="northbridge",
        released=released,
        refused=(),
        reasons=("gateway_applies", "consent_given")
        if outcome != "deny"
        else ("consent_required",),
        requested_by=RequesterKind.STAFF,
    )


def decision(key: bytes | None, outcome: str = "permit") -> Leaf:
    if key is None:
        return Leaf(public=PUBLIC, time=WHEN)
    return Leaf(public=PUBLIC, time=WHEN, sealed=sealed(outcome), subject_key=key)


def test_a_leaf_is_canonical_json_with_only_the_public_record_in_the_clear() -> None:
    data = encode_leaf(decision(new_trail_key()))
    assert data == rfc8785.dumps(json.loads(data))
    body = decode_entry(data)
    assert body["format"] == "sharewell-entry/v2"
    assert body["hour"] == "2026-11-25T16:00Z"  # the hour, never the exact time
    assert set(body) == {
        "format", "kind", "hour", "organisation", "purpose", "agreement", "gateways",
        "sealed", "subject",
    }  # fmt: skip
    assert b"permit" not in data
    assert b"consent_given" not in data
    assert b"first_name" not in data


def test_the_person_opens_their_leaf_and_reads_what_happened() -> None:
    key = new_trail_key()
    opened = open_entry(encode_leaf(decision(key)), [key])
    assert opened is not None
    assert opened.time == WHEN
    assert opened.facts["outcome"] == "permit"
    assert opened.facts["released"] == ["hb.first_name"]
    assert opened.facts["organisation"] == "northbridge-schools"
    assert open_entry(encode_leaf(decision(key)), [new_trail_key()]) is None


def test_sealed_parts_are_as_long_whatever_happened() -> None:
    key = new_trail_key()
    lengths = {
        len(encode_leaf(Leaf(public=PUBLIC, time=WHEN, sealed=sealed(o, r), subject_key=key)))
        for o, r in [("permit", ("hb.first_name", "hb.dob")), ("deny", ()), ("partial", ())]
    }
    lengths.add(len(encode_leaf(decision(None))))  # about nobody
    assert len(lengths) == 1
    sealed_bytes = base64.b64decode(decode_entry(encode_leaf(decision(key)))["sealed"])
    assert len(sealed_bytes) % SEAL_BLOCK == 16  # padded to whole blocks, plus the AEAD tag


def test_a_commitment_copied_into_another_leaf_opens_nowhere() -> None:
    key = new_trail_key()
    mine = decode_entry(encode_leaf(decision(key)))
    other = decode_entry(encode_leaf(decision(None)))
    forged = {**other, "subject": mine["subject"]}
    assert open_entry(canonical_json(forged), [key]) is None
    # Nor does changing anything else in the leaf keep it the person's.
    altered = {**mine, "purpose": "benefit-take-up"}
    assert open_entry(canonical_json(altered), [key]) is None
    assert open_entry(canonical_json(mine), [key]) is not None


def test_a_swapped_sealed_part_does_not_open() -> None:
    key = new_trail_key()
    first = decode_entry(encode_leaf(decision(key, "permit")))
    second = decode_entry(encode_leaf(decision(key, "deny")))
    assert open_entry(canonical_json({**first, "sealed": second["sealed"]}), [key]) is None


def test_two_leaves_about_one_person_share_nothing_that_links_them() -> None:
    key = new_trail_key()
    first, second = (decode_entry(encode_leaf(decision(key))) for _ in range(2))
    assert first["subject"]["nonce"] != second["subject"]["nonce"]
    assert first["subject"]["commitment"] != second["subject"]["commitment"]
    assert first["sealed"] != second["sealed"]
    public = {k: v for k, v in first.items() if k not in ("subject", "sealed")}
    assert public == {k: v for k, v in second.items() if k not in ("subject", "sealed")}


@given(count=st.integers(1, 70))
def test_a_group_is_padded_to_a_power_of_two_and_shuffled(count: int) -> None:
    keys = [new_trail_key() for _ in range(count)]
    group = encode_group([decision(k) for k in keys])
    assert len(group.entries) == 1 << (count - 1).bit_length()
    assert sorted(group.positions) == sorted(set(group.positions))
    for key, position in zip(keys, group.positions, strict=True):
        assert open_entry(group.entries[position], [key]) is not None
    assert len({len(e) for e in group.entries}) == 1  # padding is as long as the real ones
    padding = set(range(len(group.entries))) - set(group.positions)
    for slot in padding:
        assert all(open_entry(group.entries[slot], [k]) is None for k in keys)


def test_the_order_of_a_group_does_not_follow_its_list() -> None:
    keys = [new_trail_key() for _ in range(16)]
    orders = {tuple(encode_group([decision(k) for k in keys]).positions) for _ in range(5)}
    assert len(orders) > 1


def test_a_group_shares_one_public_part() -> None:
    other = PUBLIC.model_copy(update={"purpose": "benefit-take-up"})
    with pytest.raises(ValueError, match="share one public part"):
        encode_group([decision(None), Leaf(public=other, time=WHEN)])


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_leaf(Leaf(public=ConsentPublic(), time=dt.datetime(2026, 1, 1)))


def test_a_record_refuses_what_its_kind_may_not_hold() -> None:
    for bad in ("dpo@northbridge.example", "AB123456C", "By the DPO, in the staff pages."):
        with pytest.raises(ValidationError):
            DecisionPublic(
                organisation=bad, purpose="free-school-meals", agreement=None, gateways=()
            )
    with pytest.raises(ValidationError):
        DecisionPublic.model_validate({**PUBLIC.model_dump(), "reason": "x"})  # no such field
    with pytest.raises(ValidationError):
        sealed(released=("Ada Lovelace",))
    with pytest.raises(ValueError, match="about nobody"):
        Leaf(
            public=AgreementPublic.model_validate(
                {
                    "organisation": "northbridge",
                    "agreement": "a",
                    "discloser": "northbridge",
                    "recipients": [],
                    "purposes": [],
                    "gateways": [],
                    "fields": [],
                    "from": "draft",
                    "to": "active",
                    "by_role": "dpo",
                }
            ),
            time=WHEN,
            sealed=sealed(),
            subject_key=new_trail_key(),
        )


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


@given(owners=st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=40))
def test_a_trail_scan_finds_exactly_the_subjects_entries(owners: list[int | None]) -> None:
    keys = [new_trail_key() for _ in range(5)]
    log = [
        (index, encode_leaf(decision(None if owner is None else keys[owner])))
        for index, owner in enumerate(owners)
    ]
    for subject, key in enumerate(keys):
        found = [index for index, _ in scan_trail(log, [key])]
        assert found == [index for index, owner in enumerate(owners) if owner == subject]


def test_after_a_new_key_the_old_and_new_keys_together_find_everything() -> None:
    old, new = new_trail_key(), new_trail_key()
    log = list(enumerate([encode_leaf(decision(old)), encode_leaf(decision(new))]))
    assert [i for i, _ in scan_trail(log, [new])] == [1]
    assert [i for i, _ in scan_trail(log, [new, old])] == [0, 1]
    assert [o.key_position for _, o in scan_trail(log, [new, old])] == [1, 0]


def test_garbage_entries_never_open() -> None:
    key = new_trail_key()
    assert open_entry(b"\xff not json", [key]) is None
    assert open_entry({"format": "sharewell-entry/v2", "subject": {"nonce": "!!"}}, [key]) is None
    assert list(scan_trail([(0, b"[1, 2]"), (1, b"")], [key])) == []


def test_a_version_1_leaf_still_opens_under_its_key() -> None:
    import hashlib
    import hmac

    key, nonce = new_trail_key(), bytes(16)
    v1 = {
        "format": "sharewell-entry/v1", "kind": "decision", "time": "2026-11-25T16:05:00.000Z",
        "organisation": "northbridge", "purpose": "free-school-meals", "gateways": [],
        "fields": ["hb.dob"], "outcome": "permit", "details": {"reasons": ["gateway_applies"]},
        "subject": {
            "nonce": base64.b64encode(nonce).decode(),
            "commitment": base64.b64encode(hmac.new(key, nonce, hashlib.sha256).digest()).decode(),
        },
    }  # fmt: skip
    opened = open_entry(canonical_json(v1), [key])
    assert opened is not None
    assert (opened.facts["outcome"], opened.facts["released"]) == ("permit", ["hb.dob"])
    assert open_entry(canonical_json(v1), [new_trail_key()]) is None


def test_trail_key_files_round_trip_and_bad_ones_are_explained() -> None:
    keys = (new_trail_key(), new_trail_key())
    assert read_trail_keys(trail_key_document(keys, log_origin="x.example/log")) == keys
    v1 = json.dumps({"format": "sharewell-trail-key/v1", "key": base64.b64encode(keys[0]).decode()})
    assert read_trail_keys(v1) == keys[:1]
    with pytest.raises(TrailKeyInvalid, match="could not be read"):
        read_trail_keys("not json")
    with pytest.raises(TrailKeyInvalid, match="could not be read"):
        read_trail_keys('{"format": "sharewell-trail-key/v2", "keys": []}')
    with pytest.raises(TrailKeyInvalid, match="not a sharewell trail key"):
        read_trail_keys('{"format": "something-else", "key": ""}')
