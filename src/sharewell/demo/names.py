"""Name pools, nicknames and name noise for the synthetic borough.

The pools are built once, at import, from Faker's ``en_GB`` provider data (the ONS-derived first
names by sex and the weighted surname list). Sampling is done with the caller's seeded
``random.Random``; Faker itself is never called per row, so generation is fast and reproducible.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from random import Random

from faker.providers.address.en_GB import Provider as _AddressProvider
from faker.providers.person.en_GB import Provider as _PersonProvider

from sharewell.demo._draw import between, pick

# Common English nicknames (formal name -> familiar forms people give on forms and that
# schools, councils and the DWP end up holding). Keys are formal names as registered.
NICKNAMES: dict[str, tuple[str, ...]] = {
    # male
    "Albert": ("Bert", "Bertie", "Al"),
    "Alexander": ("Alex", "Sandy", "Xander"),
    "Alfred": ("Alf", "Alfie", "Fred"),
    "Andrew": ("Andy", "Drew"),
    "Anthony": ("Tony", "Ant"),
    "Arthur": ("Art", "Artie"),
    "Benjamin": ("Ben", "Benny"),
    "Bernard": ("Bernie",),
    "Bradley": ("Brad",),
    "Charles": ("Charlie", "Chas", "Chuck"),
    "Christopher": ("Chris", "Kit"),
    "Clifford": ("Cliff",),
    "Daniel": ("Dan", "Danny"),
    "David": ("Dave", "Davy"),
    "Dennis": ("Den",),
    "Derek": ("Del",),
    "Dominic": ("Dom",),
    "Donald": ("Don", "Donny"),
    "Douglas": ("Doug", "Dougie"),
    "Edward": ("Ed", "Eddie", "Ted", "Ned"),
    "Francis": ("Frank", "Fran"),
    "Frederick": ("Fred", "Freddie"),
    "Geoffrey": ("Geoff",),
    "Gerald": ("Gerry",),
    "Gerard": ("Gerry",),
    "Gregory": ("Greg",),
    "Henry": ("Harry", "Hal", "Hank"),
    "Jacob": ("Jake",),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Jeffrey": ("Jeff",),
    "John": ("Jack", "Johnny"),
    "Jonathan": ("Jon", "Jonny"),
    "Joseph": ("Joe", "Joey"),
    "Joshua": ("Josh",),
    "Kenneth": ("Ken", "Kenny"),
    "Lawrence": ("Larry", "Laurie"),
    "Leonard": ("Len", "Lenny"),
    "Leslie": ("Les",),
    "Matthew": ("Matt", "Matty"),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Nicholas": ("Nick", "Nicky"),
    "Patrick": ("Pat", "Paddy"),
    "Peter": ("Pete",),
    "Philip": ("Phil",),
    "Phillip": ("Phil",),
    "Raymond": ("Ray",),
    "Richard": ("Rich", "Rick", "Dick"),
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "Ronald": ("Ron", "Ronnie"),
    "Samuel": ("Sam", "Sammy"),
    "Stanley": ("Stan",),
    "Stephen": ("Steve", "Stevie"),
    "Steven": ("Steve", "Stevie"),
    "Terence": ("Terry", "Tel"),
    "Thomas": ("Tom", "Tommy"),
    "Timothy": ("Tim", "Timmy"),
    "Vincent": ("Vince", "Vinny"),
    "William": ("Bill", "Will", "Billy", "Liam"),
    # female
    "Abigail": ("Abby", "Abi"),
    "Alexandra": ("Alex", "Lexi", "Sandra"),
    "Amanda": ("Mandy",),
    "Angela": ("Angie",),
    "Barbara": ("Babs", "Barb"),
    "Beverley": ("Bev",),
    "Catherine": ("Cathy", "Kate", "Cath"),
    "Charlotte": ("Lottie", "Charlie"),
    "Christine": ("Chris", "Chrissie", "Tina"),
    "Deborah": ("Debbie", "Debs", "Deb"),
    "Dorothy": ("Dot", "Dolly", "Dottie"),
    "Eleanor": ("Ellie", "Nell", "Nora"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Lizzie", "Eliza"),
    "Frances": ("Fran", "Frankie"),
    "Gillian": ("Gill", "Jill"),
    "Jacqueline": ("Jackie", "Jacqui"),
    "Jennifer": ("Jenny", "Jen"),
    "Jessica": ("Jess", "Jessie"),
    "Joanne": ("Jo",),
    "Josephine": ("Jo", "Josie"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Kathleen": ("Kath", "Kathy"),
    "Kimberley": ("Kim",),
    "Margaret": ("Peggy", "Maggie", "Meg", "Maggy"),
    "Mary": ("Molly", "Polly", "May"),
    "Natalie": ("Nat",),
    "Nicola": ("Nicky", "Nikki"),
    "Pamela": ("Pam",),
    "Patricia": ("Pat", "Trish", "Patsy"),
    "Rebecca": ("Becky", "Becca"),
    "Rosemary": ("Rose", "Rosie"),
    "Samantha": ("Sam", "Sammy"),
    "Sandra": ("Sandy",),
    "Sarah": ("Sally",),
    "Stephanie": ("Steph",),
    "Susan": ("Sue", "Susie"),
    "Teresa": ("Terri", "Tess"),
    "Valerie": ("Val",),
    "Victoria": ("Vicky", "Tori"),
}

# Names given more often to people born before 1960 or since 2005. Faker's list is one pool for
# all ages; boosting these makes a pensioner more likely to be a Margaret and a pupil an Olivia.
_OLDER_NAMES = frozenset(
    {
        "Albert", "Arthur", "Bernard", "Clifford", "Dennis", "Derek", "Donald", "Eric",
        "Frederick", "Geoffrey", "Gordon", "Harry", "Kenneth", "Leonard", "Leslie", "Malcolm",
        "Maurice", "Norman", "Raymond", "Roger", "Ronald", "Roy", "Stanley", "Victor",
        "Brenda", "Dorothy", "Eileen", "Hazel", "Irene", "Jean", "Joan", "Joyce", "June",
        "Kathleen", "Marian", "Marion", "Margaret", "Maureen", "Pauline", "Rita", "Rosemary",
        "Sheila", "Shirley", "Sylvia", "Valerie", "Barbara", "Patricia", "Mary", "Ann",
    }
)  # fmt: skip
_YOUNGER_NAMES = frozenset(
    {
        "Callum", "Cameron", "Charlie", "Connor", "Declan", "Dylan", "Harry", "Jack", "Jacob",
        "Jake", "Jamie", "Joshua", "Kieran", "Kyle", "Lewis", "Liam", "Louis", "Max", "Oliver",
        "Owen", "Reece", "Rhys", "Ryan", "Toby", "Brandon", "Mohammed",
        "Abbie", "Aimee", "Amber", "Amelia", "Amy", "Bethany", "Chloe", "Ellie", "Emily",
        "Georgia", "Grace", "Hannah", "Holly", "Jasmine", "Jessica", "Lauren", "Leah",
        "Lucy", "Lydia", "Megan", "Molly", "Olivia", "Paige", "Rosie", "Shannon", "Sophie",
    }
)  # fmt: skip

# Street types a UK borough actually uses; Faker's list is US-flavoured, so keep the overlap
# and add the British types it lacks.
_UK_STREET_TYPES = (
    "Road", "Road", "Road", "Street", "Street", "Avenue", "Lane", "Close", "Close",
    "Crescent", "Drive", "Gardens", "Grove", "Place", "Terrace", "Way", "Walk", "Mews",
    "Court", "Green", "Hill", "Park", "Square", "Row", "View", "Rise",
)  # fmt: skip


@dataclass(frozen=True)
class WeightedPool:
    """A fixed list of strings drawn with given relative weights."""

    items: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def of(cls, weighted: list[tuple[str, float]]) -> WeightedPool:
        items = tuple(name for name, _ in weighted)
        cum = tuple(accumulate(w for _, w in weighted))
        return cls(items, cum)

    def draw(self, rng: Random) -> str:
        i = bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])
        return self.items[min(i, len(self.items) - 1)]


def _first_name_pool(
    names: tuple[str, ...], boosted: frozenset[str], dated: frozenset[str]
) -> WeightedPool:
    # Faker lists names most common first; a gentle Zipf-like fall-off keeps common names common.
    def weight(rank: int, name: str) -> float:
        era = 4.0 if name in boosted else 0.1 if name in dated else 1.0
        return era / (rank + 12)

    return WeightedPool.of([(name, weight(rank, name)) for rank, name in enumerate(names)])


_MALE: tuple[str, ...] = tuple(_PersonProvider.first_names_male)
_FEMALE: tuple[str, ...] = tuple(_PersonProvider.first_names_female)

_ERAS: dict[str, tuple[frozenset[str], frozenset[str]]] = {  # (more common, rarely given)
    "older": (_OLDER_NAMES, _YOUNGER_NAMES),
    "middle": (frozenset(), frozenset()),
    "younger": (_YOUNGER_NAMES, _OLDER_NAMES),
}
FIRST_NAMES: dict[tuple[bool, str], WeightedPool] = {
    (female, era): _first_name_pool(_FEMALE if female else _MALE, *_ERAS[era])
    for female in (False, True)
    for era in _ERAS
}
SURNAMES = WeightedPool.of([(n, float(w)) for n, w in _PersonProvider.last_names.items()])
STREET_TYPES: tuple[str, ...] = tuple(
    t for t in _UK_STREET_TYPES if t in _AddressProvider.street_suffixes
) + tuple(t for t in _UK_STREET_TYPES if t not in _AddressProvider.street_suffixes)
PLACE_PREFIXES: tuple[str, ...] = tuple(
    p for p in _AddressProvider.city_prefixes if p not in {"Lake", "Port"}
)
PLACE_SUFFIXES: tuple[str, ...] = tuple(
    s for s in _AddressProvider.city_suffixes if s not in {"berg", "stad", "furt", "ville"}
)


def first_name(rng: Random, *, female: bool, birth_year: int) -> str:
    era = "older" if birth_year < 1960 else "younger" if birth_year >= 2000 else "middle"
    return FIRST_NAMES[(female, era)].draw(rng)


def nickname(name: str, rng: Random) -> str:
    """A familiar form of ``name``, or ``name`` itself when it has none."""
    forms = NICKNAMES.get(name)
    return pick(rng, forms) if forms else name


def typo(name: str, rng: Random) -> str:
    """One keying slip: adjacent letters transposed, a letter dropped, or a letter doubled.

    The first letter is kept (slips are rarer there) and the result always differs from
    ``name`` for names of three or more letters; shorter names are returned unchanged.
    """
    if len(name) < 3:
        return name
    i = between(rng, 1, len(name) - 2)
    kind = rng.random()
    if kind < 0.4 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.7:
        return name[:i] + name[i + 1 :]
    return name[: i + 1] + name[i] + name[i + 1 :]


def double_barrelled(first: str, second: str) -> str:
    return first if first == second else f"{first}-{second}"


def surname_variants(surname: str) -> tuple[str, ...]:
    """Ways a double-barrelled surname gets recorded when a form has no room for it."""
    if "-" not in surname:
        return ()
    left, _, right = surname.partition("-")
    return (f"{left} {right}", right, left)


def place_name(rng: Random) -> str:
    """A plausible English place name built from Faker's surname and place-name parts."""
    stem = SURNAMES.draw(rng).replace("'", "")
    shape = rng.random()
    if shape < 0.45:
        return stem + pick(rng, PLACE_SUFFIXES)
    if shape < 0.75:
        return f"{stem} {pick(rng, ('Green', 'Park', 'Heath', 'Hill', 'Cross', 'Vale'))}"
    return f"{pick(rng, PLACE_PREFIXES)} {stem}"
