"""The borough's places: districts, streets, postcodes, addresses and schools.

Addresses are produced as a stream, street by street, so nothing grows with the population but
a few counters. Every address on a run of a street (a "segment") shares one postcode, and every
postcode is used by one segment only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from sharewell.demo._draw import below, between, pick
from sharewell.demo.names import STREET_TYPES, SURNAMES, place_name

BOROUGH = "Northbridge"
POSTCODE_AREA = "NB"  # not a real UK postcode area, so no synthetic address is a real one
# Letters allowed in the last two places of a postcode (no C, I, K, M, O, V).
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_UNITS_PER_SECTOR = len(_UNIT_LETTERS) ** 2
_POSTCODES_PER_DISTRICT = 10 * _UNITS_PER_SECTOR
_UPN_LA_CODE = "999"  # fictional local-authority number in the Unique Pupil Number
_UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Address:
    line_1: str
    line_2: str
    town: str
    postcode: str
    uprn: str
    district: int
    flat: bool

    @property
    def one_line(self) -> str:
        """The address as a single first line, the way DWP and school systems hold it."""
        return f"{self.line_1}, {self.line_2}" if self.line_2 else self.line_1


@dataclass(frozen=True, slots=True)
class School:
    name: str
    establishment: int
    primary: bool


class Borough:
    """Districts, towns, postcodes and schools, sized for ``people`` residents."""

    def __init__(self, rng: Random, people: int) -> None:
        self._rng = rng
        # One district per ~40,000 residents leaves each district's 4,000 postcodes ample room.
        self.districts = max(4, math.ceil(people / 40_000))
        towns_rng = Random("northbridge-towns")  # same place names whatever the seed
        towns = [BOROUGH]
        while len(towns) < self.districts:
            name = place_name(towns_rng)
            if name not in towns:
                towns.append(name)
        self.towns = tuple(towns)
        self._unit_order = list(range(_UNITS_PER_SECTOR))
        rng.shuffle(self._unit_order)
        # Units used so far in each (district, sector); a street stays in one sector.
        self._used_units = [[0] * 10 for _ in range(self.districts)]
        self._uprn = 100_020_000_000 + below(rng, 1_000_000)
        self.primaries, self.secondaries = self._schools(people)

    # -- postcodes -------------------------------------------------------------------------------

    @staticmethod
    def _postcode(district: int, sector: int, unit: int) -> str:
        first, second = divmod(unit, len(_UNIT_LETTERS))
        return (
            f"{POSTCODE_AREA}{district + 1} {sector}{_UNIT_LETTERS[first]}{_UNIT_LETTERS[second]}"
        )

    def new_postcode(self, district: int, sector: int) -> str:
        """A postcode no other segment has, in this sector if it has any left."""
        used = self._used_units[district]
        for step in range(10):
            candidate = (sector + step) % 10
            if used[candidate] < _UNITS_PER_SECTOR:
                sector = candidate
                break
        # With every sector of the district full (far beyond the sizes planned for), reuse.
        index = used[sector] % _UNITS_PER_SECTOR
        used[sector] += 1
        return self._postcode(district, sector, self._unit_order[index])

    def any_postcode(self, rng: Random, district: int) -> str:
        return self._postcode(district, below(rng, 10), below(rng, _UNITS_PER_SECTOR))

    def new_uprn(self) -> str:
        self._uprn += between(self._rng, 1, 3)
        return str(self._uprn)

    # -- streets and addresses -------------------------------------------------------------------

    def street_name(self, rng: Random) -> str:
        stem = SURNAMES.draw(rng)
        return f"{stem} {pick(rng, STREET_TYPES)}"

    def addresses(self) -> Iterator[Address]:
        """Every address in the borough, street by street, forever."""
        rng = self._rng
        while True:
            district = below(rng, self.districts)
            sector = below(rng, 10)
            town = self.towns[district]
            street = self.street_name(rng)
            numbers = between(rng, 6, 70)
            postcode = self.new_postcode(district, sector)
            left_on_postcode = between(rng, 8, 24)
            number = 1
            while number <= numbers:
                if left_on_postcode <= 0:
                    postcode = self.new_postcode(district, sector)
                    left_on_postcode = between(rng, 8, 24)
                kind = rng.random()
                if kind < 0.87:  # a house
                    left_on_postcode -= 1
                    yield Address(
                        f"{number} {street}", "", town, postcode, self.new_uprn(), district, False
                    )
                    number += 1
                elif kind < 0.97:  # a house converted into flats
                    flats = between(rng, 2, 4)
                    lettered = rng.random() < 0.5
                    for flat in range(1, flats + 1):
                        label = "ABCD"[flat - 1] if lettered else str(flat)
                        left_on_postcode -= 1
                        yield Address(
                            f"Flat {label}",
                            f"{number} {street}",
                            town,
                            postcode,
                            self.new_uprn(),
                            district,
                            True,
                        )
                    number += 1
                else:  # a block of flats on its own postcode
                    block = f"{SURNAMES.draw(rng)} {pick(rng, ('House', 'Court', 'Lodge'))}"
                    block_postcode = self.new_postcode(district, sector)
                    for flat in range(1, between(rng, 6, 20) + 1):
                        yield Address(
                            f"Flat {flat} {block}",
                            street,
                            town,
                            block_postcode,
                            self.new_uprn(),
                            district,
                            True,
                        )
                    number += between(rng, 1, 4)

    def elsewhere(self, rng: Random) -> Address:
        """A plausible previous address somewhere in the borough (maybe now someone else's)."""
        district = below(rng, self.districts)
        street = self.street_name(rng)
        if rng.random() < 0.3:
            line_1, line_2, flat = (
                f"Flat {between(rng, 1, 24)}",
                f"{between(rng, 1, 90)} {street}",
                True,
            )
        else:
            line_1, line_2, flat = f"{between(rng, 1, 150)} {street}", "", False
        return Address(
            line_1,
            line_2,
            self.towns[district],
            self.any_postcode(rng, district),
            str(100_020_000_000 + below(rng, 3_000_000)),
            district,
            flat,
        )

    # -- schools ---------------------------------------------------------------------------------

    def _schools(
        self, people: int
    ) -> tuple[tuple[tuple[School, ...], ...], tuple[tuple[School, ...], ...]]:
        rng = Random("northbridge-schools")
        # Roughly one primary per 3,000 residents and one secondary per 12,000, per district.
        per_district_primary = max(1, round(people / 3_000 / self.districts))
        per_district_secondary = max(1, round(people / 12_000 / self.districts))
        saints = ("Mary", "Peter", "John", "Anne", "Michael", "Paul", "Joseph", "Andrew", "Luke")
        primaries: list[tuple[School, ...]] = []
        secondaries: list[tuple[School, ...]] = []
        used: set[str] = set()
        establishment = 2000
        for district in range(self.districts):
            town = self.towns[district]
            row: list[School] = []
            while len(row) < per_district_primary:
                shape = rng.random()
                if shape < 0.25:
                    name = (
                        f"{town} Primary School"
                        if not row
                        else f"{SURNAMES.draw(rng)} Primary School"
                    )
                elif shape < 0.45:
                    name = f"St {pick(rng, saints)}'s Church of England Primary School"
                elif shape < 0.55:
                    name = f"St {pick(rng, saints)}'s Catholic Primary School"
                elif shape < 0.8:
                    name = f"{SURNAMES.draw(rng)} Park Primary School"
                else:
                    name = f"{SURNAMES.draw(rng)} Primary Academy"
                if name in used:
                    continue
                used.add(name)
                establishment += 1
                row.append(School(name, establishment, True))
            primaries.append(tuple(row))
        establishment = 4000
        for district in range(self.districts):
            town = self.towns[district]
            row = []
            while len(row) < per_district_secondary:
                shape = rng.random()
                if shape < 0.3:
                    name = f"{town} Academy" if not row else f"{SURNAMES.draw(rng)} Academy"
                elif shape < 0.6:
                    name = f"{SURNAMES.draw(rng)} High School"
                elif shape < 0.8:
                    name = f"{SURNAMES.draw(rng)} Community School"
                else:
                    name = f"St {pick(rng, saints)}'s Catholic High School"
                if name in used:
                    continue
                used.add(name)
                establishment += 1
                row.append(School(name, establishment, False))
            secondaries.append(tuple(row))
        return tuple(primaries), tuple(secondaries)


def upn(establishment: int, year_allocated: int, serial: int) -> str:
    """A Unique Pupil Number: check letter, LA number, establishment, year, serial (13 chars)."""
    digits = f"{_UPN_LA_CODE}{establishment % 10_000:04d}{year_allocated % 100:02d}{serial:03d}"
    check = sum(int(d) * weight for d, weight in zip(digits, range(2, 14), strict=True)) % 23
    return _UPN_CHECK_LETTERS[check] + digits
