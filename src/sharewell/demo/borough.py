"""A reproducible synthetic borough: noisy benefit extracts with a hidden ground truth.

``generate_borough`` invents the residents of Northbridge household by household (single
pensioners, pensioner couples, families, working-age singles, house shares, adult children at
home, three generations under one roof), works out what each benefit unit is entitled to under
simplified 2026/27 rules (:mod:`sharewell.demo._rules`), decides who actually claims (with a
realistic take-up gap), and writes what each body would hold:

- ``northbridge/housing-benefit-claims.csv`` and ``northbridge/council-tax-reduction-claims.csv``
  (the council), ``northbridge-schools/school-roll.csv`` (the borough's schools),
- ``dwp/pension-credit-extract.csv`` and ``dwp/universal-credit-extract.csv`` (DWP),
- ``ground-truth.csv``: which person and household every record is really about.

Each extract has its own errors (:mod:`sharewell.demo._noise`). Rows are written as each
household is made, so memory does not grow with ``people``; everything is written to a
temporary directory that is renamed into place only when complete.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING

from sharewell.demo import _noise as noise
from sharewell.demo import _rules as rules
from sharewell.demo._draw import below, between, pick
from sharewell.demo._geo import Address, Borough, School, upn
from sharewell.demo.names import SURNAMES, double_barrelled, first_name, surname_variants

if TYPE_CHECKING:
    from _csv import Writer

__all__ = ["DATASET_COLUMNS", "BoroughSummary", "generate_borough"]

HOUSING_BENEFIT = "northbridge/housing-benefit-claims"
COUNCIL_TAX_REDUCTION = "northbridge/council-tax-reduction-claims"
SCHOOL_ROLL = "northbridge-schools/school-roll"
PENSION_CREDIT = "dwp/pension-credit-extract"
UNIVERSAL_CREDIT = "dwp/universal-credit-extract"
GROUND_TRUTH = "ground-truth"

DATASET_COLUMNS: dict[str, tuple[str, ...]] = {
    HOUSING_BENEFIT: (
        "record_id", "claim_ref", "nino", "first_name", "last_name", "dob", "address_line_1",
        "address_line_2", "town", "postcode", "uprn", "household_size", "children_count",
        "weekly_income", "capital", "weekly_rent", "weekly_award", "claim_start",
    ),
    COUNCIL_TAX_REDUCTION: (
        "record_id", "account_ref", "nino", "first_name", "last_name", "dob", "address_line_1",
        "address_line_2", "town", "postcode", "uprn", "household_size", "pensioner",
        "weekly_income", "weekly_reduction",
    ),
    SCHOOL_ROLL: (
        "record_id", "upn", "first_name", "last_name", "dob", "year_group", "school_name",
        "parent_first_name", "parent_last_name", "address_line_1", "town", "postcode",
        "fsm_eligible",
    ),
    PENSION_CREDIT: (
        "record_id", "nino", "first_name", "last_name", "dob", "address_line_1", "town",
        "postcode", "credit_type", "weekly_award",
    ),
    UNIVERSAL_CREDIT: (
        "record_id", "nino", "first_name", "last_name", "dob", "address_line_1", "town",
        "postcode", "monthly_award", "children_count", "monthly_earnings",
    ),
    GROUND_TRUTH: ("dataset", "record_id", "person_id", "household_id"),
}  # fmt: skip

_RECORD_PREFIX = {
    HOUSING_BENEFIT: "HB",
    COUNCIL_TAX_REDUCTION: "CTR",
    SCHOOL_ROLL: "SR",
    PENSION_CREDIT: "PC",
    UNIVERSAL_CREDIT: "UC",
}

# Household kinds and their relative frequency (roughly an English urban borough).
_HOUSEHOLD_KINDS = (
    ("single_pensioner", 14.0),
    ("pensioner_couple", 9.0),
    ("pensioner_with_adult_child", 2.0),
    ("mixed_age_couple", 2.0),
    ("single_adult", 18.0),
    ("couple", 15.0),
    ("couple_with_children", 18.0),
    ("lone_parent", 9.0),
    ("house_share", 6.0),
    ("three_generations", 2.0),
)
_KIND_NAMES = tuple(k for k, _ in _HOUSEHOLD_KINDS)
_KIND_CUM = tuple(math.fsum(w for _, w in _HOUSEHOLD_KINDS[: i + 1]) for i in range(10))

_LATEST_DOB = rules.AS_OF - timedelta(days=28)  # births take a while to reach any system
_SCHOOL_YEAR_AGE_DAY = date(
    rules.AS_OF.year if rules.AS_OF.month >= 9 else rules.AS_OF.year - 1, 8, 31
)
_UC_CHILD_ELEMENT_SPLIT = date(2017, 4, 6)
_PROGRESS_EVERY = 5_000

# NINO prefixes: no D, F, I, Q, U, V in either place, no O second, and not the administrative
# prefixes BG, GB, NK, KN, TN, NT, ZZ.
_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_PREFIXES = tuple(
    a + b
    for a in _NINO_FIRST
    for b in _NINO_SECOND
    if a + b not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
)
_NINO_SPACE = len(_NINO_PREFIXES) * 1_000_000


@dataclass(frozen=True)
class BoroughSummary:
    """What :func:`generate_borough` wrote."""

    people: int
    households: int
    records: dict[str, int]  # dataset key -> rows written
    out_dir: Path


# -- the people ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    female: bool
    first: str
    surname: str
    dob: date
    alt_surnames: tuple[str, ...] = ()
    pid: str = ""
    nino: str = ""
    # Derived from dob once, as everything asks for them.
    age: int = field(init=False)
    spa_date: date = field(init=False)
    pension_age: bool = field(init=False)

    def __post_init__(self) -> None:
        self.age = rules.age_on(self.dob, rules.AS_OF)
        self.spa_date = rules.state_pension_date(self.dob, female=self.female)
        self.pension_age = self.spa_date <= rules.AS_OF


@dataclass(slots=True)
class _Unit:
    """A benefit unit: one adult or a couple, and their dependent children."""

    adults: list[_Person]
    children: list[_Person] = field(default_factory=list)
    pension_income: float = 0.0  # weekly: state and private pensions
    earnings: float = 0.0  # monthly, net
    capital: float = 0.0
    guarantee_credit: float = 0.0  # weekly, as entitled
    savings_credit: float = 0.0
    claims_pension_credit: bool = False
    universal_credit: float = 0.0  # monthly, as entitled
    claims_universal_credit: bool = False
    student: bool = False  # full-time students generally cannot get Universal Credit
    couple: bool = field(init=False)
    pension_age: bool = field(init=False)  # every adult has reached State Pension age

    def __post_init__(self) -> None:
        self.couple = len(self.adults) == 2
        self.pension_age = all(a.pension_age for a in self.adults)

    @property
    def weekly_earnings(self) -> float:
        return self.earnings * 12 / 52


@dataclass(slots=True)
class _Household:
    hid: str
    units: list[_Unit]
    address: Address
    previous: Address | None
    tenure: str  # own | social | private
    weekly_rent: float
    band: str
    supported: bool
    bedrooms: int = 1
    adults_count: int = field(init=False)
    children_count: int = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.adults_count = sum(len(u.adults) for u in self.units)
        self.children_count = sum(len(u.children) for u in self.units)
        self.size = self.adults_count + self.children_count


def _money(value: float) -> str:
    return f"{max(0.0, value):.2f}"


def _bool(value: bool) -> str:
    return "true" if value else "false"


class _Population:
    """Invents households, one at a time, from a seeded random stream."""

    def __init__(self, seed: int, people: int) -> None:
        self.rng = Random(f"{seed}:people")  # a string seed: -1 and 1 differ
        self.borough = Borough(Random(f"{seed}:places"), people)
        self.addresses = self.borough.addresses()
        self._person_count = 0
        self._household_count = 0
        # NINOs are unique: a seeded affine permutation of (prefix, six digits).
        self._nino_step = self._coprime_step()
        self._nino_offset = self.rng.randrange(_NINO_SPACE)

    def _coprime_step(self) -> int:
        while True:
            step = self.rng.randrange(1, _NINO_SPACE)
            if math.gcd(step, _NINO_SPACE) == 1:
                return step

    @property
    def households(self) -> int:
        return self._household_count

    # -- individuals -----------------------------------------------------------------------------

    def _dob(self, min_age: float, max_age: float) -> date:
        latest = min(_LATEST_DOB.toordinal(), rules.AS_OF.toordinal() - int(min_age * 365.25))
        earliest = max(
            noise.EARLIEST_DOB.toordinal(),
            rules.AS_OF.toordinal() - int((max_age + 1) * 365.25) + 1,
        )
        return date.fromordinal(between(self.rng, earliest, max(earliest, latest)))

    def person(
        self, *, female: bool, min_age: float, max_age: float, surname: str | None = None
    ) -> _Person:
        dob = self._dob(min_age, max_age)
        if surname is None:
            surname = self.surname()
        first = first_name(self.rng, female=female, birth_year=dob.year)
        return _Person(female, first, surname, dob, surname_variants(surname))

    def aged(self, age: float, *, female: bool, surname: str | None = None) -> _Person:
        return self.person(female=female, min_age=age, max_age=age, surname=surname)

    def surname(self) -> str:
        if self.rng.random() < 0.02:
            return double_barrelled(SURNAMES.draw(self.rng), SURNAMES.draw(self.rng))
        return SURNAMES.draw(self.rng)

    def pensioner_age(self) -> float:
        return min(104.0, 66.0 + self.rng.expovariate(1 / 10.5))

    def working_age(self, low: float = 18.0, high: float = 64.0) -> float:
        # Slightly more younger adults than older, as in an urban borough.
        return low + (high - low) * math.pow(self.rng.random(), 1.25)

    def _marry(self, a: _Person, b: _Person, *, married: bool) -> None:
        """Surnames of a couple: b (the woman in a mixed-sex couple) may take a's name."""
        if not married or a.female == b.female:
            return
        roll = self.rng.random()
        birth = b.surname
        if roll < 0.75:
            b.surname = a.surname
        elif roll < 0.85:
            b.surname = double_barrelled(birth, a.surname)
        else:
            b.alt_surnames = surname_variants(b.surname)
            return
        # Recently married people are still known by their old name somewhere.
        recent = 0.4 if b.age < 45 else 0.08
        if self.rng.random() < recent or "-" in b.surname:
            b.alt_surnames = (birth, *surname_variants(b.surname))

    def couple(self, min_age: float, max_age: float) -> tuple[_Person, _Person, bool]:
        same_sex = self.rng.random() < 0.04
        first_female = same_sex and self.rng.random() < 0.5
        a = self.person(female=first_female, min_age=min_age, max_age=max_age)
        gap = between(self.rng, -7, 3)
        partner_age = min(max(a.age + gap, min_age), max_age + 5)
        b = self.person(
            female=not first_female if not same_sex else first_female,
            min_age=partner_age,
            max_age=partner_age,
        )
        married = self.rng.random() < (0.85 if a.age >= 60 else 0.6)
        self._marry(a, b, married=married)
        return a, b, married

    def children(self, mother_age: int, count: int, surnames: tuple[str, ...]) -> list[_Person]:
        kids = []
        oldest = max(0, min(17, mother_age - 17))
        for _ in range(count):
            surname = surnames[0] if self.rng.random() < 0.8 else pick(self.rng, surnames)
            kids.append(
                self.person(
                    female=self.rng.random() < 0.49, min_age=0, max_age=oldest, surname=surname
                )
            )
        kids.sort(key=lambda k: k.dob)
        return kids

    def _child_count(self) -> int:
        roll = self.rng.random()
        return 1 if roll < 0.38 else 2 if roll < 0.78 else 3 if roll < 0.93 else 4

    # -- households ------------------------------------------------------------------------------

    def _kind(self) -> str:
        x = self.rng.random() * _KIND_CUM[-1]
        for name, cum in zip(_KIND_NAMES, _KIND_CUM, strict=True):
            if x < cum:
                return name
        return _KIND_NAMES[-1]

    def _units(self, kind: str) -> list[_Unit]:
        build: Callable[[], list[_Unit]] = getattr(self, f"_{kind}")
        return build()

    def _single_pensioner(self) -> list[_Unit]:
        return [_Unit([self.aged(self.pensioner_age(), female=self.rng.random() < 0.62)])]

    def _pensioner_couple(self) -> list[_Unit]:
        age = self.pensioner_age()
        a, b, _ = self.couple(age, age)
        return [_Unit([a, b])]

    def _pensioner_with_adult_child(self) -> list[_Unit]:
        rng = self.rng
        parent = self.aged(self.pensioner_age() + 4, female=rng.random() < 0.7)
        child = self.person(
            female=rng.random() < 0.5,
            min_age=max(25.0, parent.age - 40.0),
            max_age=min(64.0, parent.age - 20.0),
            surname=parent.surname if rng.random() < 0.75 else None,
        )
        return [_Unit([parent]), _Unit([child])]

    def _mixed_age_couple(self) -> list[_Unit]:
        # Since May 2019 such couples claim Universal Credit, not Pension Credit.
        rng = self.rng
        older = self.aged(66 + rng.random() * 12, female=rng.random() < 0.3)
        younger = self.person(female=not older.female, min_age=56, max_age=64.9)
        self._marry(*((older, younger) if younger.female else (younger, older)), married=True)
        return [_Unit([older, younger])]

    def _single_adult(self) -> list[_Unit]:
        return [_Unit([self.aged(self.working_age(), female=self.rng.random() < 0.48)])]

    def _couple(self) -> list[_Unit]:
        age = self.working_age(20.0, 64.0)
        a, b, _ = self.couple(age, age)
        return [_Unit([a, b])]

    def _couple_with_children(self) -> list[_Unit]:
        age = self.working_age(21.0, 52.0)
        a, b, married = self.couple(age, age)
        mother = b if b.female else a
        if married:
            names: tuple[str, ...] = (a.surname,)
        else:
            names = (a.surname, b.surname, double_barrelled(b.surname, a.surname))
        units = [_Unit([a, b], self.children(mother.age, self._child_count(), names))]
        if self.rng.random() < 0.12 and mother.age >= 40:
            units.append(self._adult_child(mother, names[0]))
        return units

    def _lone_parent(self) -> list[_Unit]:
        rng = self.rng
        female = rng.random() < 0.9
        parent = self.aged(self.working_age(19.0, 55.0), female=female)
        other = SURNAMES.draw(rng)  # the other parent's
        names = (parent.surname, other) if rng.random() < 0.55 else (other, parent.surname)
        count = self._child_count() if rng.random() < 0.6 else 1
        kids = self.children(parent.age, count, names)
        if female and kids[0].surname == other and rng.random() < 0.3:
            parent.alt_surnames = (other,)  # her married name, since given up
        units = [_Unit([parent], kids)]
        if rng.random() < 0.1 and parent.age >= 40:
            units.append(self._adult_child(parent, kids[0].surname))
        return units

    def _house_share(self) -> list[_Unit]:
        rng = self.rng
        return [
            _Unit([self.aged(self.working_age(19.0, 45.0), female=rng.random() < 0.45)])
            for _ in range(between(rng, 2, 5))
        ]

    def _three_generations(self) -> list[_Unit]:
        rng = self.rng
        age = self.working_age(25.0, 52.0)
        a, b, married = self.couple(age, age)
        mother = b if b.female else a
        names = (a.surname,) if married else (a.surname, b.surname)
        units = [_Unit([a, b], self.children(mother.age, self._child_count(), names))]
        grandparent = self.person(
            female=rng.random() < 0.7,
            min_age=max(66.0, mother.age + 20.0),
            max_age=min(100.0, mother.age + 40.0),
            surname=mother.surname if rng.random() < 0.5 else None,
        )
        units.append(_Unit([grandparent]))
        return units

    def _adult_child(self, parent: _Person, surname: str) -> _Unit:
        child = self.person(
            female=self.rng.random() < 0.45,
            min_age=18,
            max_age=min(30.0, parent.age - 18.0),
            surname=surname,
        )
        return _Unit([child])

    def _fallback_units(self, people: int) -> list[_Unit]:
        """The last household, cut to fit the people left: one adult or a shared house."""
        if people == 1:
            if self.rng.random() < 0.3:
                return [_Unit([self.aged(self.pensioner_age(), female=True)])]
            return [_Unit([self.aged(self.working_age(), female=self.rng.random() < 0.5)])]
        return [
            _Unit([self.aged(self.working_age(19.0, 45.0), female=self.rng.random() < 0.45)])
            for _ in range(people)
        ]

    def household(self, remaining: int) -> _Household:
        units = self._units(self._kind())
        if sum(len(u.adults) + len(u.children) for u in units) > remaining:
            units = self._fallback_units(remaining)
        self._household_count += 1
        hid = f"H{self._household_count:07d}"
        for unit in units:
            for person in (*unit.adults, *unit.children):
                self._person_count += 1
                person.pid = f"P{self._person_count:08d}"
                if person.age >= 16:
                    person.nino = self._nino()
            self._finances(unit)
        address = next(self.addresses)
        previous = self.borough.elsewhere(self.rng) if self.rng.random() < 0.12 else None
        household = _Household(hid, units, address, previous, "own", 0.0, "D", False)
        self._housing(household)
        for i, unit in enumerate(units):
            self._entitlements(household, unit, main=i == 0)
        return household

    def _nino(self) -> str:
        index = (self._nino_offset + self._nino_step * self._person_count) % _NINO_SPACE
        prefix, digits = divmod(index, 1_000_000)
        return f"{_NINO_PREFIXES[prefix]}{digits:06d}{'ABCD'[below(self.rng, 4)]}"

    # -- money -----------------------------------------------------------------------------------

    def _pension(self, first: bool) -> float:
        rng = self.rng
        # State Pension (full new rate about £241 in 2026/27; many older women have less)...
        state = rng.uniform(165.0, 245.0) if first else rng.uniform(90.0, 245.0)
        # ...plus any occupational or private pension.
        roll = rng.random()
        if roll < 0.22:
            private = 0.0
        elif roll < 0.55:
            private = rng.uniform(5.0, 80.0)
        elif roll < 0.9:
            private = rng.uniform(80.0, 320.0)
        else:
            private = rng.uniform(320.0, 900.0)
        return state + private

    def _earnings(self, adult: _Person, role: str) -> float:
        rng = self.rng
        employed = {"single": 0.8, "first": 0.88, "second": 0.75, "lone": 0.62}[role]
        if rng.random() >= employed:
            return 0.0
        if rng.random() < (0.55 if role == "lone" else 0.8):
            gross = min(150_000.0, max(14_000.0, rng.lognormvariate(math.log(34_000), 0.45)))
        else:
            gross = rng.uniform(8_000.0, 20_000.0)
        if adult.age < 22:
            gross *= 0.7
        return rules.net_monthly_pay(gross)

    def _finances(self, unit: _Unit) -> None:
        rng = self.rng
        lone = bool(unit.children) and not unit.couple
        for i, adult in enumerate(unit.adults):
            if adult.pension_age:
                unit.pension_income += self._pension(first=i == 0)
            else:
                role = "lone" if lone else "single" if not unit.couple else ("first", "second")[i]
                unit.earnings += self._earnings(adult, role)
        if not unit.couple and not unit.children and unit.earnings == 0 and unit.adults[0].age < 25:
            unit.student = rng.random() < 0.55
        roll = rng.random()
        if unit.pension_age:
            if roll < 0.35:
                unit.capital = rng.uniform(0.0, 1_500.0)
            elif roll < 0.65:
                unit.capital = rng.uniform(1_500.0, 10_000.0)
            elif roll < 0.78:
                unit.capital = rng.uniform(10_000.0, 16_000.0)
            else:
                unit.capital = min(750_000.0, rng.lognormvariate(math.log(35_000), 0.9))
        elif roll < 0.6:
            unit.capital = rng.uniform(0.0, 2_000.0)
        elif roll < 0.87:
            unit.capital = rng.uniform(2_000.0, 8_000.0)
        else:
            unit.capital = min(400_000.0, rng.lognormvariate(math.log(15_000), 0.8))

    def _housing(self, household: _Household) -> None:
        rng = self.rng
        main = household.units[0]
        weekly = main.pension_income + main.weekly_earnings
        shared = len(household.units) > 1 and all(
            len(u.adults) == 1 and not u.children and not u.pension_age for u in household.units
        )
        # (chance of owning, share of renters who rent from the council or a housing association)
        if shared:
            own, social = 0.08, 0.15
        elif main.pension_age:
            low = weekly < (380.0 if main.couple else 260.0)
            own, social = (0.6, 0.75) if low else (0.85, 0.6)
        else:
            low = weekly < (420.0 if main.couple or main.children else 300.0)
            own, social = (0.3, 0.6) if low else (0.7, 0.25)
        if household.address.flat:
            own *= 0.7
        bedrooms = household.adults_count - (1 if main.couple else 0)
        bedrooms = min(4, max(1, bedrooms + math.ceil(household.children_count / 2)))
        household.bedrooms = bedrooms
        if rng.random() < own:
            household.tenure = "own"
        elif rng.random() < social:
            household.tenure = "social"
            household.weekly_rent = round(88.0 + 17.0 * bedrooms + rng.uniform(-8.0, 18.0), 2)
        else:
            household.tenure = "private"
            household.weekly_rent = round(160.0 + 55.0 * bedrooms + rng.uniform(-20.0, 70.0), 2)
        if household.address.flat:
            household.band = "A" if rng.random() < 0.6 else "B"
        elif household.tenure == "own":
            household.band = rng.choices("BCDEFG", cum_weights=(10, 40, 70, 88, 96, 100))[0]
        else:
            household.band = "B" if rng.random() < 0.55 else "C"
        household.supported = (
            household.tenure != "own"
            and not main.pension_age
            and not main.couple
            and not main.children
            and rng.random() < 0.05
        )

    def _entitlements(self, household: _Household, unit: _Unit, *, main: bool) -> None:
        rng = self.rng
        renting = household.tenure != "own" and main
        if unit.pension_age:
            savings_possible = all(
                a.spa_date < rules.SAVINGS_CREDIT_SPA_BEFORE for a in unit.adults
            )
            gc, sc = rules.pension_credit(
                unit.pension_income,
                unit.capital,
                couple=unit.couple,
                savings_credit_possible=savings_possible,
            )
            unit.guarantee_credit, unit.savings_credit = gc, sc
            total = gc + sc
            if total > 0:
                # About a third of those entitled do not claim, more so for small amounts.
                chance = 0.42 if total < 10 else 0.6 if total < 40 else 0.74
                if renting:
                    chance += 0.1
                unit.claims_pension_credit = rng.random() < chance
            return
        if unit.student:
            return
        housing = 0.0
        if renting and not household.supported:
            housing = _eligible_rent(household, unit) * 52 / 12
        unearned = unit.pension_income * 52 / 12
        first_child_before = bool(unit.children) and unit.children[0].dob < _UC_CHILD_ELEMENT_SPLIT
        award = rules.universal_credit(
            couple=unit.couple,
            any_25_or_over=any(a.age >= 25 for a in unit.adults),
            children=len(unit.children),
            first_child_before_2017=first_child_before,
            monthly_housing=housing,
            monthly_earnings=unit.earnings,
            monthly_unearned=unearned,
            capital=unit.capital,
        )
        unit.universal_credit = round(award, 2)
        if award > 0:
            # Small entitlements are the ones left unclaimed.
            chance = 0.9 if award >= 300 else 0.75 if award >= 100 else 0.5 if award >= 30 else 0.25
            unit.claims_universal_credit = rng.random() < chance


# -- writing ------------------------------------------------------------------------------------


class _Extracts:
    """The open CSV files, the record counters and the noise stream."""

    def __init__(self, root: Path, stack: ExitStack, seed: int, borough: Borough) -> None:
        self.rng = Random(f"{seed}:noise")
        self.borough = borough
        self._writers: dict[str, Writer] = {}
        self.counts = dict.fromkeys(_RECORD_PREFIX, 0)
        self._upn_serials: dict[tuple[int, int], int] = {}
        for key, header in DATASET_COLUMNS.items():
            path = root / f"{key}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            self._writers[key] = writer

    def _write(self, dataset: str, person: _Person, household: _Household, row: list[str]) -> None:
        self.counts[dataset] += 1
        record_id = f"{_RECORD_PREFIX[dataset]}{self.counts[dataset]:07d}"
        self._writers[dataset].writerow([record_id, *row])
        self._writers[GROUND_TRUTH].writerow([dataset, record_id, person.pid, household.hid])

    def _identity(
        self, person: _Person, household: _Household, profile: noise.NoiseProfile
    ) -> tuple[str, str, str, Address]:
        rng = self.rng
        first, last = noise.names(person.first, person.surname, person.alt_surnames, profile, rng)
        address = household.address
        if household.previous is not None and rng.random() < profile.stale_address:
            address = household.previous
        return first, last, noise.dob(person.dob, profile, rng, _LATEST_DOB), address

    def _place(self, address: Address, profile: noise.NoiseProfile) -> tuple[str, str]:
        line = noise.abbreviate(address.one_line, profile, self.rng)
        return line, noise.postcode(address.postcode, profile, self.rng)

    # -- the council -----------------------------------------------------------------------------

    def housing_benefit(self, household: _Household, unit: _Unit, award: float) -> None:
        rng = self.rng
        profile = noise.HOUSING_BENEFIT
        claimant = pick(rng, unit.adults)
        first, last, dob, address = self._identity(claimant, household, profile)
        earliest = max(
            rules.add_years(claimant.dob, 18).toordinal(), rules.AS_OF.toordinal() - 15 * 365
        )
        start = date.fromordinal(
            between(rng, min(earliest, rules.AS_OF.toordinal() - 7), rules.AS_OF.toordinal() - 7)
        )
        claim_ref = 2_400_000 + self.counts[HOUSING_BENEFIT] * 3 + below(rng, 3)
        self._write(
            HOUSING_BENEFIT,
            claimant,
            household,
            [
                str(claim_ref),
                noise.nino(claimant.nino, profile, rng),
                first,
                last,
                dob,
                noise.abbreviate(address.line_1, profile, rng),
                noise.abbreviate(address.line_2, profile, rng),
                address.town,
                noise.postcode(address.postcode, profile, rng),
                "" if rng.random() < profile.uprn_missing else address.uprn,
                str(household.size),
                str(household.children_count),
                _money(_weekly_income(unit)),
                _money(unit.capital),
                _money(household.weekly_rent),
                _money(award),
                start.isoformat(),
            ],
        )

    def council_tax_reduction(self, household: _Household, unit: _Unit, reduction: float) -> None:
        rng = self.rng
        profile = noise.COUNCIL_TAX_REDUCTION
        claimant = pick(rng, unit.adults)
        first, last, dob, address = self._identity(claimant, household, profile)
        account_ref = 60_000_000 + self.counts[COUNCIL_TAX_REDUCTION] * 7 + below(rng, 7)
        self._write(
            COUNCIL_TAX_REDUCTION,
            claimant,
            household,
            [
                f"{account_ref:09d}",
                noise.nino(claimant.nino, profile, rng),
                first,
                last,
                dob,
                noise.abbreviate(address.line_1, profile, rng),
                noise.abbreviate(address.line_2, profile, rng),
                address.town,
                noise.postcode(address.postcode, profile, rng),
                "" if rng.random() < profile.uprn_missing else address.uprn,
                str(household.size),
                _bool(claimant.pension_age),
                _money(_weekly_income(unit)),
                _money(reduction),
            ],
        )

    # -- schools ---------------------------------------------------------------------------------

    def school_pupil(self, household: _Household, unit: _Unit, child: _Person, fsm: bool) -> None:
        rng = self.rng
        year_group = rules.age_on(child.dob, _SCHOOL_YEAR_AGE_DAY) - 4
        district = household.address.district
        if rng.random() < 0.1:
            district = below(rng, self.borough.districts)
        schools: tuple[School, ...] = (
            self.borough.primaries if year_group <= 6 else self.borough.secondaries
        )[district]
        school = pick(rng, schools)
        first_school = pick(rng, self.borough.primaries[household.address.district])
        pupil_number = self._upn(first_school.establishment, _SCHOOL_YEAR_AGE_DAY.year - year_group)
        first, last, dob, address = self._identity(child, household, noise.SCHOOL_PUPIL)
        parent = next((a for a in unit.adults if a.female), unit.adults[0])
        if rng.random() < 0.2:
            parent = pick(rng, unit.adults)
        parent_first, parent_last = noise.names(
            parent.first, parent.surname, parent.alt_surnames, noise.SCHOOL_PARENT, rng
        )
        line, postcode = self._place(address, noise.SCHOOL_PUPIL)
        self._write(
            SCHOOL_ROLL,
            child,
            household,
            [
                pupil_number,
                first,
                last,
                dob,
                str(year_group),
                school.name,
                parent_first,
                parent_last,
                line,
                address.town,
                postcode,
                _bool(fsm),
            ],
        )

    def _upn(self, establishment: int, year: int) -> str:
        key = (establishment, year)
        serial = self._upn_serials.get(key, 0) + 1
        self._upn_serials[key] = serial
        # More than 999 pupils from one school in one year: carry into the next year's numbers.
        return upn(establishment, year + (serial - 1) // 1000, (serial - 1) % 1000 + 1)

    # -- DWP -------------------------------------------------------------------------------------

    def pension_credit(self, household: _Household, unit: _Unit) -> None:
        rng = self.rng
        profile = noise.PENSION_CREDIT
        claimant = pick(rng, unit.adults)
        first, last, dob, address = self._identity(claimant, household, profile)
        line, postcode = self._place(address, profile)
        gc, sc = unit.guarantee_credit, unit.savings_credit
        credit_type = "both" if gc and sc else "guarantee" if gc else "savings"
        self._write(
            PENSION_CREDIT,
            claimant,
            household,
            [
                claimant.nino,
                first,
                last,
                dob,
                line,
                address.town,
                postcode,
                credit_type,
                _money(gc + sc),
            ],
        )

    def universal_credit(self, household: _Household, unit: _Unit) -> None:
        rng = self.rng
        profile = noise.UNIVERSAL_CREDIT
        # A joint claim: DWP holds both partners, each with the household's award.
        stale = household.previous is not None and rng.random() < profile.stale_address
        for adult in unit.adults:
            first, last = noise.names(adult.first, adult.surname, adult.alt_surnames, profile, rng)
            dob = noise.dob(adult.dob, profile, rng, _LATEST_DOB)
            address = household.previous if stale and household.previous else household.address
            line, postcode = self._place(address, profile)
            self._write(
                UNIVERSAL_CREDIT,
                adult,
                household,
                [
                    adult.nino,
                    first,
                    last,
                    dob,
                    line,
                    address.town,
                    postcode,
                    _money(unit.universal_credit),
                    str(len(unit.children)),
                    _money(unit.earnings),
                ],
            )


def _weekly_income(unit: _Unit) -> float:
    """Income as a council assesses it: pensions, earnings and Universal Credit, a week."""
    uc = unit.universal_credit * 12 / 52 if unit.claims_universal_credit else 0.0
    return unit.pension_income + unit.weekly_earnings + uc


def _emit(household: _Household, out: _Extracts, rng: Random) -> None:
    """Decide what each body holds about this household and write it."""
    main = household.units[0]
    single = household.adults_count == 1
    gc_claimed = main.claims_pension_credit and main.guarantee_credit > 0
    for unit in household.units:
        if unit.claims_pension_credit:
            out.pension_credit(household, unit)
        if unit.claims_universal_credit:
            out.universal_credit(household, unit)
    # Housing Benefit: pension-age renters, and working-age people in supported housing.
    if household.tenure != "own":
        award = chance = 0.0
        if main.pension_age:
            award = rules.pensioner_housing_benefit(
                weekly_income=main.pension_income,
                capital=main.capital,
                weekly_rent=_eligible_rent(household, main),
                couple=main.couple,
                spa_before_split=_spa_before_split(main),
                guarantee_credit=gc_claimed,
            )
            chance = 0.95 if gc_claimed else 0.8
        elif household.supported and main.earnings < 900:
            award = household.weekly_rent
            chance = 0.95
        if award > 0 and rng.random() < chance:
            out.housing_benefit(household, main, round(award, 2))
    # Council Tax Reduction: whoever is liable, if their income is low enough.
    liability = rules.council_tax_weekly(household.band) * (0.75 if single else 1.0)
    if main.pension_age:
        reduction = rules.pensioner_ctr(
            weekly_income=main.pension_income,
            capital=main.capital,
            liability=liability,
            couple=main.couple,
            spa_before_split=_spa_before_split(main),
            guarantee_credit=gc_claimed,
        )
        chance = 0.95 if gc_claimed else 0.65
    else:
        reduction = rules.working_age_ctr(
            weekly_earnings=main.weekly_earnings + main.pension_income,
            capital=main.capital,
            liability=liability,
            disregard=25.0 if not main.couple and not main.children else 50.0,
        )
        chance = 0.85 if main.claims_universal_credit else 0.45
    if reduction >= 0.5 and rng.random() < chance:
        out.council_tax_reduction(household, main, round(reduction, 2))
    # The school roll: pupils aged 4 to 17, with free school meals where registered.
    for unit in household.units:
        fsm_eligible = (
            unit.claims_universal_credit and unit.earnings <= rules.FSM_UC_MONTHLY_EARNINGS_LIMIT
        )
        for child in unit.children:
            age = rules.age_on(child.dob, _SCHOOL_YEAR_AGE_DAY)
            if not 4 <= age <= 17:
                continue
            if rng.random() >= (0.93 if age <= 15 else 0.5):
                continue  # educated elsewhere: another borough, independent school, college
            if fsm_eligible:
                # Eligibility is not automatic: some families never register, more so for
                # infants, who get universal infant free school meals anyway.
                registered = rng.random() < (0.72 if age <= 6 else 0.88)
            else:
                # Transitional protection and legacy benefits keep some others registered.
                registered = rng.random() < (0.3 if unit.claims_universal_credit else 0.02)
            out.school_pupil(household, unit, child, registered)


def _eligible_rent(household: _Household, unit: _Unit) -> float:
    """Rent that benefit will cover: private rents are capped at the Local Housing Allowance."""
    if household.tenure != "private":
        return household.weekly_rent
    shared = not unit.couple and not unit.children and unit.adults[0].age < 35
    return min(
        household.weekly_rent, rules.local_housing_allowance(household.bedrooms, shared=shared)
    )


def _spa_before_split(unit: _Unit) -> bool:
    return any(a.spa_date < rules.CTR_SPLIT_DATE for a in unit.adults)


def generate_borough(
    out_dir: Path,
    *,
    people: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> BoroughSummary:
    """Write every extract plus ground-truth.csv under out_dir.

    ``progress(n)`` is called with the number of people generated since the last call (every
    few thousand people, and once at the end). The output is byte-for-byte the same for the same
    ``people`` and ``seed``. It is written to a temporary directory beside ``out_dir`` and renamed
    into place only when complete, so a failure leaves no ``out_dir`` behind. ``out_dir`` must
    not exist yet, or be an empty directory.
    """
    if people < 0:
        raise ValueError(f"people must be zero or more, not {people}")
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f"{out_dir} already exists and is not empty; choose a new directory")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        population = _Population(seed, people)
        with ExitStack() as stack:
            out = _Extracts(work, stack, seed, population.borough)
            made = pending = 0
            while made < people:
                household = population.household(people - made)
                _emit(household, out, population.rng)
                made += household.size
                pending += household.size
                if progress is not None and pending >= _PROGRESS_EVERY:
                    progress(pending)
                    pending = 0
            if progress is not None and pending:
                progress(pending)
        _fsync_tree(work)
        if out_dir.exists():
            out_dir.rmdir()
        work.rename(out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BoroughSummary(
        people=people,
        households=population.households,
        records={key: out.counts.get(key, 0) for key in DATASET_COLUMNS if key != GROUND_TRUTH},
        out_dir=out_dir,
    )


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*.csv")):
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
