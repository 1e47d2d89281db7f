"""The synthetic borough: reproducible, well-formed, noisy, and honest about who is who."""

from __future__ import annotations

import csv
import itertools
import math
import re
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharewell.demo import borough
from sharewell.demo.borough import DATASET_COLUMNS, BoroughSummary, generate_borough

PEOPLE = 4_000
SEED = 7

HB = "northbridge/housing-benefit-claims"
CTR = "northbridge/council-tax-reduction-claims"
ROLL = "northbridge-schools/school-roll"
PC = "dwp/pension-credit-extract"
UC = "dwp/universal-credit-extract"
EXTRACTS = (HB, CTR, ROLL, PC, UC)

NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}$")
UPRN = re.compile(r"^[0-9]{1,12}$")
UPN = re.compile(r"^[A-Z][0-9]{12}$")
MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
RECORD_ID = re.compile(r"^[A-Z]+[0-9]+$")
EARLIEST = date(1915, 1, 1)

EXPECTED_COLUMNS = {
    HB: "record_id claim_ref nino first_name last_name dob address_line_1 address_line_2 town "
    "postcode uprn household_size children_count weekly_income capital weekly_rent weekly_award "
    "claim_start",
    CTR: "record_id account_ref nino first_name last_name dob address_line_1 address_line_2 town "
    "postcode uprn household_size pensioner weekly_income weekly_reduction",
    ROLL: "record_id upn first_name last_name dob year_group school_name parent_first_name "
    "parent_last_name address_line_1 town postcode fsm_eligible",
    PC: "record_id nino first_name last_name dob address_line_1 town postcode credit_type "
    "weekly_award",
    UC: "record_id nino first_name last_name dob address_line_1 town postcode monthly_award "
    "children_count monthly_earnings",
    "ground-truth": "dataset record_id person_id household_id",
}

Rows = dict[str, list[dict[str, str]]]


def read(out_dir: Path, key: str) -> list[dict[str, str]]:
    with (out_dir / f"{key}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_bytes(out_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out_dir)): path.read_bytes() for path in sorted(out_dir.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[BoroughSummary, Rows]:
    out_dir = tmp_path_factory.mktemp("borough") / "out"
    summary = generate_borough(out_dir, people=PEOPLE, seed=SEED)
    return summary, {key: read(out_dir, key) for key in DATASET_COLUMNS}


@pytest.fixture(scope="module")
def truth(generated: tuple[BoroughSummary, Rows]) -> dict[tuple[str, str], str]:
    """(dataset, record_id) -> person_id."""
    _, rows = generated
    return {(r["dataset"], r["record_id"]): r["person_id"] for r in rows["ground-truth"]}


def by_person(
    rows: Rows, truth: dict[tuple[str, str], str]
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    people: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for key in EXTRACTS:
        for row in rows[key]:
            people[truth[(key, row["record_id"])]].append((key, row))
    return people


# -- reproducible, and nothing half-written ---------------------------------------------------


def test_same_seed_gives_identical_bytes(
    tmp_path: Path, generated: tuple[BoroughSummary, Rows]
) -> None:
    summary, _ = generated
    again = generate_borough(tmp_path / "again", people=PEOPLE, seed=SEED)
    assert all_bytes(again.out_dir) == all_bytes(summary.out_dir)
    assert again.records == summary.records
    assert again.households == summary.households


def test_different_seed_gives_different_data(
    tmp_path: Path, generated: tuple[BoroughSummary, Rows]
) -> None:
    summary, _ = generated
    other = generate_borough(tmp_path / "other", people=PEOPLE, seed=SEED + 1)
    before, after = all_bytes(summary.out_dir), all_bytes(other.out_dir)
    assert before.keys() == after.keys()
    assert all(before[name] != after[name] for name in before)


def test_failure_leaves_no_output(tmp_path: Path) -> None:
    def explode(_: int) -> None:
        raise RuntimeError("disk on fire")

    out_dir = tmp_path / "borough"
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_borough(out_dir, people=12_000, seed=1, progress=explode)
    assert not out_dir.exists()
    assert list(tmp_path.iterdir()) == []  # nor the temporary directory


def test_failure_midway_through_writing_leaves_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_emit = borough._emit
    calls = Counter[str]()

    def emit_then_fail(*args: object, **kwargs: object) -> None:
        calls["emit"] += 1
        if calls["emit"] > 500:
            raise OSError("No space left on device")
        real_emit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(borough, "_emit", emit_then_fail)
    with pytest.raises(OSError, match="No space"):
        generate_borough(tmp_path / "borough", people=3_000, seed=1)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_existing_output(tmp_path: Path) -> None:
    (tmp_path / "borough").mkdir()
    (tmp_path / "borough" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate_borough(tmp_path / "borough", people=10, seed=1)
    assert (tmp_path / "borough" / "keep.txt").read_text() == "mine"


def test_an_empty_existing_directory_is_filled(tmp_path: Path) -> None:
    (tmp_path / "borough").mkdir()
    summary = generate_borough(tmp_path / "borough", people=50, seed=1)
    assert (summary.out_dir / "ground-truth.csv").exists()


def test_negative_people_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="people"):
        generate_borough(tmp_path / "borough", people=-1, seed=1)


def test_progress_counts_every_person(tmp_path: Path) -> None:
    seen: list[int] = []
    generate_borough(tmp_path / "borough", people=12_345, seed=3, progress=seen.append)
    assert sum(seen) == 12_345
    assert len(seen) >= 2
    assert all(n > 0 for n in seen)


# -- shape ------------------------------------------------------------------------------------


def test_headers_are_exactly_as_specified(generated: tuple[BoroughSummary, Rows]) -> None:
    summary, _ = generated
    assert {k: " ".join(v) for k, v in DATASET_COLUMNS.items()} == EXPECTED_COLUMNS
    for key, header in EXPECTED_COLUMNS.items():
        with (summary.out_dir / f"{key}.csv").open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == header.split()


def test_summary_counts_the_rows(generated: tuple[BoroughSummary, Rows]) -> None:
    summary, rows = generated
    assert summary.people == PEOPLE
    assert summary.records == {key: len(rows[key]) for key in EXTRACTS}
    assert all(summary.records[key] > 0 for key in EXTRACTS)
    households = {r["household_id"] for r in rows["ground-truth"]}
    assert len(households) <= summary.households < PEOPLE


def test_every_value_has_the_declared_format(generated: tuple[BoroughSummary, Rows]) -> None:
    _, rows = generated
    today = date.today()
    for key in EXTRACTS:
        ids = [r["record_id"] for r in rows[key]]
        assert len(set(ids)) == len(ids), key
        for row in rows[key]:
            assert RECORD_ID.match(row["record_id"])
            assert row["first_name"].strip()
            assert row["last_name"].strip()
            if row.get("nino"):
                assert NINO.match(row["nino"]), row["nino"]
            if row["dob"]:
                assert EARLIEST <= date.fromisoformat(row["dob"]) <= today, row["dob"]
            # Case and spacing vary, as in real extracts; the postcode itself is always valid.
            assert POSTCODE.match(" ".join(row["postcode"].upper().split())), row["postcode"]
            assert re.fullmatch(r"[A-Za-z0-9 ]+", row["postcode"])
            if row.get("uprn"):
                assert UPRN.match(row["uprn"])
            for column in ("weekly_income", "capital", "weekly_rent", "weekly_award",
                           "weekly_reduction", "monthly_award", "monthly_earnings"):  # fmt: skip
                if column in row:
                    assert MONEY.match(row[column]), (column, row[column])
            if "household_size" in row:
                assert int(row["household_size"]) >= 1
            if "children_count" in row:
                assert int(row["children_count"]) >= 0
    for row in rows[HB]:
        assert date.fromisoformat(row["claim_start"]) <= today
        assert int(row["children_count"]) < int(row["household_size"])
    for row in rows[CTR]:
        assert row["pensioner"] in {"true", "false"}
    for row in rows[ROLL]:
        assert UPN.match(row["upn"]), row["upn"]
        assert 0 <= int(row["year_group"]) <= 13
        assert row["fsm_eligible"] in {"true", "false"}
        assert row["school_name"]
    for row in rows[PC]:
        assert row["credit_type"] in {"guarantee", "savings", "both"}
        assert float(row["weekly_award"]) > 0
    for row in rows[UC]:
        assert row["nino"], "DWP always holds a NINO"
        assert float(row["monthly_award"]) > 0


def test_pupil_numbers_and_ninos_are_unique(generated: tuple[BoroughSummary, Rows]) -> None:
    _, rows = generated
    upns = [r["upn"] for r in rows[ROLL]]
    assert len(set(upns)) == len(upns)
    nino_people: dict[str, set[str]] = defaultdict(set)
    ground = {(r["dataset"], r["record_id"]): r["person_id"] for r in rows["ground-truth"]}
    for key in (PC, UC):  # DWP's NINOs carry no keying errors
        for row in rows[key]:
            nino_people[row["nino"]].add(ground[(key, row["record_id"])])
    assert all(len(people) == 1 for people in nino_people.values())


# -- ground truth -------------------------------------------------------------------------------


def test_ground_truth_covers_every_record_exactly_once(
    generated: tuple[BoroughSummary, Rows],
) -> None:
    _, rows = generated
    truth_keys = [(r["dataset"], r["record_id"]) for r in rows["ground-truth"]]
    records = [(key, row["record_id"]) for key in EXTRACTS for row in rows[key]]
    assert Counter(truth_keys) == Counter(records)
    assert all(re.fullmatch(r"P[0-9]+", r["person_id"]) for r in rows["ground-truth"])
    assert all(re.fullmatch(r"H[0-9]+", r["household_id"]) for r in rows["ground-truth"])


def test_a_person_always_belongs_to_one_household(generated: tuple[BoroughSummary, Rows]) -> None:
    _, rows = generated
    households: dict[str, set[str]] = defaultdict(set)
    for row in rows["ground-truth"]:
        households[row["person_id"]].add(row["household_id"])
    assert all(len(h) == 1 for h in households.values())


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(people=st.integers(min_value=0, max_value=400), seed=st.integers(0, 2**32))
def test_ground_truth_and_row_counts_agree(people: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        summary = generate_borough(Path(tmp) / "b", people=people, seed=seed)
        truth_rows = read(summary.out_dir, "ground-truth")
        per_dataset = Counter(r["dataset"] for r in truth_rows)
        for key in EXTRACTS:
            rows = read(summary.out_dir, key)
            assert len(rows) == summary.records[key] == per_dataset[key]
        assert len(truth_rows) == sum(summary.records.values())
        assert len({r["person_id"] for r in truth_rows}) <= people
        assert (summary.households == 0) == (people == 0)


# -- realism: noise and the take-up gap -------------------------------------------------------


def test_the_same_person_is_recorded_differently(
    generated: tuple[BoroughSummary, Rows], truth: dict[tuple[str, str], str]
) -> None:
    _, rows = generated
    differences: Counter[str] = Counter()
    for records in by_person(rows, truth).values():
        for (_, a), (_, b) in itertools.pairwise(records):
            if a["first_name"].lower() != b["first_name"].lower():
                differences["first_name"] += 1
            if a["last_name"].lower() != b["last_name"].lower():
                differences["last_name"] += 1
            if a["dob"] and b["dob"] and a["dob"] != b["dob"]:
                differences["dob"] += 1
            if not a["dob"] or not b["dob"]:
                differences["dob missing"] += 1
            if a["address_line_1"].lower() != b["address_line_1"].lower():
                differences["address"] += 1
    assert differences["first_name"] >= 3, differences
    assert differences["last_name"] >= 3, differences
    assert differences["dob"] >= 1, differences
    assert differences["address"] >= 3, differences


def test_council_records_lack_some_ninos(generated: tuple[BoroughSummary, Rows]) -> None:
    _, rows = generated
    assert any(not r["nino"] for r in rows[CTR])
    assert any(
        r["postcode"] != " ".join(r["postcode"].upper().split())
        for key in EXTRACTS
        for r in rows[key]
    )


def test_households_share_addresses(
    generated: tuple[BoroughSummary, Rows], truth: dict[tuple[str, str], str]
) -> None:
    _, rows = generated
    # Couples on a joint Universal Credit claim: two people, one household, one address.
    households: dict[str, set[str]] = defaultdict(set)
    for row in rows["ground-truth"]:
        if row["dataset"] == UC:
            households[row["household_id"]].add(row["person_id"])
    assert any(len(people) >= 2 for people in households.values())
    # Pupils are recorded with a parent's name, and siblings share a household.
    pupils: Counter[str] = Counter(
        r["household_id"] for r in rows["ground-truth"] if r["dataset"] == ROLL
    )
    assert any(n >= 2 for n in pupils.values())
    assert all(r["parent_first_name"] and r["parent_last_name"] for r in rows[ROLL])


def _pension_age(dob: str) -> bool:
    return bool(dob) and date.fromisoformat(dob) <= date(1959, 11, 25)  # 67 or over


def test_some_pensioners_miss_pension_credit(
    generated: tuple[BoroughSummary, Rows], truth: dict[tuple[str, str], str]
) -> None:
    """Single pensioners on HB with income below the guarantee, yet not on Pension Credit."""
    _, rows = generated
    on_pension_credit = {truth[(PC, r["record_id"])] for r in rows[PC]}
    missing = []
    for row in rows[HB]:
        if not _pension_age(row["dob"]) or row["household_size"] != "1":
            continue
        capital = float(row["capital"])
        tariff = math.ceil(max(0.0, capital - 10_000) / 500)
        if float(row["weekly_income"]) + tariff < 238.00:
            person = truth[(HB, row["record_id"])]
            if person not in on_pension_credit:
                missing.append(person)
    assert missing


def test_pension_credit_take_up_is_incomplete_but_real(
    generated: tuple[BoroughSummary, Rows], truth: dict[tuple[str, str], str]
) -> None:
    """Among council claimants who look eligible, most but not all get Pension Credit."""
    _, rows = generated
    on_pension_credit = {truth[(PC, r["record_id"])] for r in rows[PC]}
    eligible = [
        truth[(CTR, r["record_id"])]
        for r in rows[CTR]
        if r["pensioner"] == "true" and r["household_size"] == "1"
        and float(r["weekly_income"]) < 200.0
    ]  # fmt: skip
    claiming = sum(person in on_pension_credit for person in eligible)
    assert eligible
    assert 0.3 < claiming / len(eligible) < 0.98


def test_some_children_miss_free_school_meals(
    generated: tuple[BoroughSummary, Rows], truth: dict[tuple[str, str], str]
) -> None:
    """Pupils in a low-earning Universal Credit household who are not registered for FSM."""
    _, rows = generated
    household_of = {(r["dataset"], r["record_id"]): r["household_id"] for r in rows["ground-truth"]}
    low_earning_uc = {
        household_of[(UC, r["record_id"])]
        for r in rows[UC]
        if int(r["children_count"]) > 0 and float(r["monthly_earnings"]) <= 616.67
    }
    pupils = [(household_of[(ROLL, r["record_id"])], r["fsm_eligible"]) for r in rows[ROLL]]
    eligible = [fsm for household, fsm in pupils if household in low_earning_uc]
    assert "true" in eligible
    assert "false" in eligible
    assert any(fsm == "true" for _, fsm in pupils)


def test_people_appear_where_their_circumstances_put_them(
    generated: tuple[BoroughSummary, Rows],
) -> None:
    _, rows = generated
    assert all(_pension_age(r["dob"]) or not r["dob"] or r["dob"] < "1962" for r in rows[PC])
    for row in rows[UC]:
        if row["dob"]:
            assert row["dob"] > "1945"  # working age, or a mixed-age couple's older partner
    for row in rows[ROLL]:
        if row["dob"]:
            assert "2007" <= row["dob"] <= "2024"  # 4 to 17, give or take a keying error
