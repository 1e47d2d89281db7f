"""A world the broker can decide in: the demo register in force, one Housing Benefit claim
(Ada, AB123456C) and her consent to the free-school-meals agreement."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.register.dataset_import import import_dataset_csv

ADA = "AB123456C"
HB = (
    "record_id,claim_ref,nino,first_name,last_name,dob,postcode,weekly_income\n"
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,120.00\n"
)


def ada_consents(session: Session, directory: Path) -> None:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    (directory / "hb.csv").write_text(HB, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", directory / "hb.csv")
    subject = consent.resolve_subject(session, "nino", ADA, create=True)
    consent.record_consent(
        session,
        subject_id=subject.id,
        scope=ConsentScope.for_agreement("northbridge-hb-fsm-consent"),
        state="granted",
        captured_via="paper",
        captured_by=dpo(session, "northbridge"),
        wording="I agree that the council may tell my child's school.",
    )
