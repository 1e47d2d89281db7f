"""A borough's worth of people and of everything that happens to their data, for tests that
read the whole public log as an outsider would: who they are (to look for in the log), their
Housing Benefit claims, consents taken down by staff and given in the portal, decisions by
several requesters, and agreement changes whose reasons name them."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest, DecisionSummary
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.register import services as register
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.register.vocabulary import AgreementStatus

HB = "housing-benefit-claims"
FSM = "northbridge-hb-fsm-consent"
SHARED_SERVICE = "northbridge-southmere-shared-service"
SCHOOLS = broker.Requester("northbridge-schools", "staff:officer")
SOUTHMERE = broker.Requester("southmere", "client:southmere-system")
DWP = broker.Requester("dwp", "client:dwp-system")
NINO_PREFIXES = ("AB", "CE", "JH", "KA", "PR", "SW", "TZ", "WL")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    nino: str
    address: str
    postcode: str

    @property
    def email(self) -> str:
        return f"{self.first_name.lower()}.{self.last_name.lower()}@example.com"

    def says(self) -> tuple[str, ...]:
        """Everything that identifies them, as it might be written anywhere."""
        spaced = " ".join([self.nino[:2], self.nino[2:4], self.nino[4:6], self.nino[6:8]])
        return (
            self.first_name,
            self.last_name,
            f"{self.first_name} {self.last_name}",
            self.nino,
            f"{spaced} {self.nino[8]}",
            self.address,
            self.postcode,
            self.postcode.replace(" ", ""),
            self.email,
        )


def people(count: int, rng: random.Random) -> list[Person]:
    """Invented residents with unique NINOs and made-up names no register id contains."""
    made: list[Person] = []
    for serial in range(count):
        first = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(3))
        last = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(4))
        made.append(
            Person(
                first_name=first.capitalize(),
                last_name=last.capitalize(),
                nino=f"{NINO_PREFIXES[serial % 8]}{100000 + serial:06d}{'ABCD'[serial % 4]}",
                address=f"{rng.randint(1, 299)} {last.capitalize()} Road",
                postcode=f"NB{rng.randint(1, 9)} {rng.randint(0, 9)}{rng.choice('ABDEFGHJ')}Q",
            )
        )
    return made


def borough(session: Session, directory: Path, residents: Sequence[Person]) -> None:
    """The demo register in force, and Northbridge's Housing Benefit claims for ``residents``."""
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    rows = [
        "record_id,claim_ref,nino,first_name,last_name,dob,address_line_1,postcode,"
        "children_count,weekly_income"
    ]
    rows += [
        f"HB{i:05d},C{i:05d},{p.nino},{p.first_name},{p.last_name},1980-01-{1 + i % 28:02d},"
        f"{p.address},{p.postcode},{i % 4},{100 + i % 50}.00"
        for i, p in enumerate(residents)
    ]
    (directory / "hb.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_dataset_csv(session, "northbridge", HB, directory / "hb.csv")


@dataclass(frozen=True)
class Asker:
    """A requester of the demo, with the purpose, agreement and fields it asks with."""

    requester: broker.Requester
    purpose: str
    agreement: str | None
    fields: tuple[str, ...]


ASKERS = {
    "schools": Asker(SCHOOLS, "free-school-meals", FSM, ("first_name", "dob")),
    "southmere": Asker(
        SOUTHMERE,
        "benefit-administration",
        SHARED_SERVICE,
        ("first_name", "address_line_1", "postcode", "weekly_income"),
    ),
    "dwp": Asker(DWP, "welfare-services", None, ("first_name", "dob")),  # no agreement names it
}


def ask(session: Session, asker: str, ninos: Iterable[str]) -> DecisionSummary:
    """One request by one of ``ASKERS`` about these people."""
    chosen = ASKERS[asker]
    body: dict[str, Any] = {
        "purpose": chosen.purpose,
        "subjects": [{"scheme": "nino", "value": n} for n in ninos],
        "fields": [f"{HB}.{f}" for f in chosen.fields],
    }
    if chosen.agreement is not None:
        body["agreement"] = chosen.agreement
    return broker.decide(
        session, chosen.requester, DecisionRequest.model_validate(body), today=TODAY
    )


def choose(session: Session, person: Person, state: str, via: str) -> None:
    """A consent change about the free school meals agreement, as a person would make it:
    in the portal, or told to a member of staff who types the wording they agreed to."""
    subject = consent.resolve_subject(session, "nino", person.nino, create=True)
    staff = None if via == "portal" else dpo(session, "northbridge")
    consent.record_consent(
        session,
        subject_id=subject.id,
        scope=ConsentScope.for_agreement(FSM),
        state=state,
        captured_via=via,
        captured_by=staff,
        wording=(
            f"I, {person.first_name} {person.last_name} of {person.address}, agree."
            if state == "granted"
            else None
        ),
    )


def suspend_and_restore(session: Session, reason: str) -> None:
    """A DPO suspends an agreement and restores it, giving a reason a person typed."""
    officer = dpo(session, "northbridge")
    for status in (AgreementStatus.SUSPENDED, AgreementStatus.ACTIVE):
        register.change_status(
            session, SHARED_SERVICE, status, actor=officer, reason=reason, today=TODAY
        )
