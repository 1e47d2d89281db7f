"""A borough for citizen portal tests: Ada and Alan claim Housing Benefit, both consented to
their children's school being told, and the school has already asked about each of them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.register.dataset_import import import_dataset_csv

FSM = "northbridge-hb-fsm-consent"
SCHOOLS = broker.Requester(organisation="northbridge-schools", actor="staff:officer")
ADA = {"nino": "AB123456C", "email": "ada@example.com", "name": "Ada Lovelace"}
ALAN = {"nino": "CE654321A", "email": "alan@example.com", "name": "Alan Turing"}
GRACE = {"nino": "JH987654B", "email": "grace@example.com", "name": "Grace Hopper"}
CITIZEN_PASSWORD = "a demo password for made-up citizens"
HB = (
    "record_id,claim_ref,nino,first_name,last_name,dob,postcode,children_count,weekly_income\n"
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,2,120.00\n"
    "HB2,C2,CE654321A,Alan,Turing,1990-06-23,NB2 7AA,1,99.50\n"
    "HB3,C3,JH987654B,Grace,Hopper,1979-12-09,NB3 1AB,3,88.00\n"
)
FIELDS = ("housing-benefit-claims.first_name", "housing-benefit-claims.weekly_income")


def school_asks(session: Session, *ninos: str) -> None:
    """Northbridge Schools asks about these people for free school meals."""
    request = DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": FSM,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": list(FIELDS),
        }
    )
    broker.decide(session, SCHOOLS, request)


def build_borough(session: Session, directory: Path) -> None:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    (directory / "hb.csv").write_text(HB, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", directory / "hb.csv")
    for person in (ADA, ALAN, GRACE):
        subject = consent.resolve_subject(session, "nino", person["nino"], create=True)
        consent.record_consent(
            session,
            subject_id=subject.id,
            scope=ConsentScope.for_agreement(FSM),
            state="granted",
            captured_via="paper",
            captured_by=dpo(session, "northbridge"),
            wording="I agree that the council may tell my child's school.",
        )
    school_asks(session, ADA["nino"], ALAN["nino"], GRACE["nino"])
