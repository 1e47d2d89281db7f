"""How each source system garbles what it holds about a person.

A :class:`NoiseProfile` is the set of error rates for one dataset; every rate is the chance
that one record (or one name field, for typos) shows that kind of error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from sharewell.demo._draw import below, between, pick
from sharewell.demo.names import nickname, typo

EARLIEST_DOB = date(1915, 1, 1)


@dataclass(frozen=True)
class NoiseProfile:
    typo: float  # per name field: transposed, dropped or doubled letter
    nickname: float  # first name given in a familiar form, when it has one
    swap: float  # first and last names in each other's fields
    alt_surname: float  # for people known by another surname: that one is held here
    upper: float  # names held in capitals
    dob_missing: float
    dob_wrong: float  # day and month transposed, year off by one, or day off by one
    nino_missing: float
    nino_typo: float  # two adjacent digits transposed
    postcode_variant: float  # lower case, missing or doubled space, trailing space
    stale_address: float  # for a household that moved recently: the previous address is held
    abbreviate: float  # "Road" -> "Rd" and the like
    uprn_missing: float


HOUSING_BENEFIT = NoiseProfile(
    typo=0.02, nickname=0.04, swap=0.01, alt_surname=0.3, upper=0.0,
    dob_missing=0.01, dob_wrong=0.015, nino_missing=0.03, nino_typo=0.003,
    postcode_variant=0.05, stale_address=0.0, abbreviate=0.02, uprn_missing=0.02,
)  # fmt: skip
COUNCIL_TAX_REDUCTION = NoiseProfile(
    typo=0.025, nickname=0.06, swap=0.015, alt_surname=0.35, upper=0.0,
    dob_missing=0.04, dob_wrong=0.02, nino_missing=0.10, nino_typo=0.004,
    postcode_variant=0.06, stale_address=0.10, abbreviate=0.03, uprn_missing=0.03,
)  # fmt: skip
SCHOOL_PUPIL = NoiseProfile(
    typo=0.015, nickname=0.03, swap=0.005, alt_surname=0.0, upper=0.0,
    dob_missing=0.002, dob_wrong=0.008, nino_missing=1.0, nino_typo=0.0,
    postcode_variant=0.04, stale_address=0.15, abbreviate=0.03, uprn_missing=1.0,
)  # fmt: skip
SCHOOL_PARENT = NoiseProfile(
    typo=0.03, nickname=0.15, swap=0.01, alt_surname=0.4, upper=0.0,
    dob_missing=1.0, dob_wrong=0.0, nino_missing=1.0, nino_typo=0.0,
    postcode_variant=0.0, stale_address=0.0, abbreviate=0.0, uprn_missing=1.0,
)  # fmt: skip
PENSION_CREDIT = NoiseProfile(
    typo=0.008, nickname=0.01, swap=0.003, alt_surname=0.5, upper=0.2,
    dob_missing=0.001, dob_wrong=0.005, nino_missing=0.0, nino_typo=0.0,
    postcode_variant=0.02, stale_address=0.35, abbreviate=0.08, uprn_missing=1.0,
)  # fmt: skip
UNIVERSAL_CREDIT = NoiseProfile(
    typo=0.01, nickname=0.02, swap=0.004, alt_surname=0.25, upper=0.0,
    dob_missing=0.0, dob_wrong=0.004, nino_missing=0.0, nino_typo=0.0,
    postcode_variant=0.02, stale_address=0.2, abbreviate=0.05, uprn_missing=1.0,
)  # fmt: skip

_ABBREVIATIONS = (
    (" Road", " Rd"), (" Street", " St"), (" Avenue", " Ave"), (" Lane", " Ln"),
    (" Close", " Cl"), (" Crescent", " Cres"), (" Drive", " Dr"), (" Gardens", " Gdns"),
    (" Place", " Pl"), (" Terrace", " Terr"), (" Square", " Sq"), ("Flat ", "Flt "),
)  # fmt: skip


def names(
    first: str, last: str, alt_surnames: tuple[str, ...], profile: NoiseProfile, rng: Random
) -> tuple[str, str]:
    if alt_surnames and rng.random() < profile.alt_surname:
        last = pick(rng, alt_surnames)
    if rng.random() < profile.nickname:
        first = nickname(first, rng)
    if rng.random() < profile.typo:
        first = typo(first, rng)
    if rng.random() < profile.typo:
        last = typo(last, rng)
    if rng.random() < profile.swap:
        first, last = last, first
    if profile.upper and rng.random() < profile.upper:
        first, last = first.upper(), last.upper()
    return first, last


def dob(real: date, profile: NoiseProfile, rng: Random, latest: date) -> str:
    roll = rng.random()
    if roll < profile.dob_missing:
        return ""
    if roll >= profile.dob_missing + profile.dob_wrong:
        return real.isoformat()
    return wrong_dob(real, rng, latest).isoformat()


def wrong_dob(real: date, rng: Random, latest: date) -> date:
    """A plausible keying error: day/month swapped, year off by one, or day off by one."""
    candidates: list[date] = []
    if real.day <= 12 and real.day != real.month:
        candidates.append(real.replace(month=real.day, day=real.month))
    for years in (-1, 1):
        try:
            candidates.append(real.replace(year=real.year + years))
        except ValueError:  # 29 February
            candidates.append(real.replace(year=real.year + years, day=28))
    candidates.extend((real - timedelta(days=1), real + timedelta(days=1)))
    candidates = [d for d in candidates if EARLIEST_DOB <= d <= latest and d != real]
    return pick(rng, candidates) if candidates else real


def nino(real: str, profile: NoiseProfile, rng: Random) -> str:
    if not real or rng.random() < profile.nino_missing:
        return ""
    if profile.nino_typo and rng.random() < profile.nino_typo:
        i = between(rng, 2, 6)  # digits are at 2..7; swap i and i+1
        if real[i] != real[i + 1]:
            return real[:i] + real[i + 1] + real[i] + real[i + 2 :]
    return real


def postcode(real: str, profile: NoiseProfile, rng: Random) -> str:
    if rng.random() >= profile.postcode_variant:
        return real
    kind = below(rng, 5)
    if kind == 0:
        return real.lower()
    if kind == 1:
        return real.replace(" ", "")
    if kind == 2:
        return real.replace(" ", "  ")
    if kind == 3:
        return real + " "
    return real.lower().replace(" ", "")


def abbreviate(line: str, profile: NoiseProfile, rng: Random) -> str:
    if not line or rng.random() >= profile.abbreviate:
        return line
    for long, short in _ABBREVIATIONS:
        if long in line:
            line = line.replace(long, short)
    return line
