"""The citizen's consent records as JSON-LD in W3C DPV terms (the DPV profile of 27560)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from factories.consent import (
    FSM_AGREEMENT,
    FSM_PURPOSE,
    NINO,
    WHEN,
    WORDING,
    new_subject,
    officer,
    record,
)
from factories.register import load_demo_register
from sharewell.consent import services
from sharewell.consent.errors import SubjectUnknown
from sharewell.consent.models import Subject
from sharewell.consent.schemas import ConsentScope
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus


@pytest.fixture
def subject(session: Session) -> Subject:
    load_demo_register(session)
    return new_subject(session)


def compact_iris(value: Any) -> set[str]:
    """Every ``prefix:Name`` used as a key, a type or an @id anywhere in the document."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("@"):
                found.add(key)
            if key in ("@type", "@id") and isinstance(item, str):
                found.add(item)
            found |= compact_iris(item)
    elif isinstance(value, list):
        for item in value:
            found |= compact_iris(item)
    return found


def test_an_empty_history_is_an_empty_graph(subject: Subject, session: Session) -> None:
    document = services.export_dpv(session, subject.id)
    assert document["@context"][0] == "https://w3id.org/dpv"
    assert document["@graph"] == []


def test_a_grant_maps_to_the_27560_fields(session: Session, subject: Subject) -> None:
    expires = WHEN + dt.timedelta(days=365)
    grant = record(session, subject, expires_at=expires)
    (exported,) = services.export_dpv(session, subject.id, at=WHEN)["@graph"]
    assert exported["@type"] == "dpv:ConsentRecord"
    assert exported["dct:conformsTo"] == {"@id": "https://w3id.org/dpv/schema/dpv-27560#record"}
    assert exported["dct:identifier"] == grant.id
    assert exported["dpv:hasDataSubject"]["@id"] == f"urn:uuid:{subject.id}"
    process = exported["dpv:hasProcess"]
    assert process["dct:identifier"] == FSM_AGREEMENT
    assert [p["dct:identifier"] for p in process["dpv:hasPurpose"]] == ["free-school-meals"]
    assert process["dpv:hasDataController"]["dct:identifier"] == "northbridge"
    assert [r["dct:identifier"] for r in process["dpv:hasRecipient"]] == ["northbridge-schools"]
    assert process["dpv:hasLegalBasis"] == {"@id": "dpv:ExpressedConsent"}
    (event,) = exported["dpv:hasConsentStatus"]
    assert event["@type"] == "dpv:ConsentGiven"
    assert event["dpv:isIndicatedAtTime"] == {
        "@value": "2026-11-25T09:00:00.000Z",
        "@type": "xsd:dateTime",
    }
    assert event["dpv:isIndicatedBy"] == {"@id": "dpv:DataSubject"}
    assert "citizen portal" in event["dpv:hasIndicationMethod"]
    assert event["dpv:hasDuration"] == {
        "@type": "dpv:UntilTimeDuration",
        "rdf:value": {"@value": "2027-11-25T09:00:00.000Z", "@type": "xsd:dateTime"},
    }
    notice = exported["dpv:hasNotice"]
    assert notice["@type"] == "dpv:ConsentNotice"
    assert notice["dct:description"] == WORDING
    assert notice["dct:identifier"] == grant.wording_version
    assert exported["dct:provenance"] == f"sharewell transparency log, entry {grant.ledger_index}"


def test_withdrawals_objections_and_expiry(session: Session, subject: Subject) -> None:
    record(session, subject, at=WHEN, expires_at=WHEN + dt.timedelta(days=1))
    record(
        session,
        subject,
        ConsentStatus.WITHDRAWN,
        at=WHEN + dt.timedelta(days=2),
        captured_via=CaptureMethod.PHONE,
        captured_by=officer(session),
    )
    record(
        session,
        subject,
        ConsentStatus.OBJECTED,
        scope=ConsentScope.for_purpose("free-school-meals", recipient="northbridge-schools"),
        at=WHEN + dt.timedelta(days=3),
    )
    graph = services.export_dpv(session, subject.id, at=WHEN + dt.timedelta(days=10))["@graph"]
    statuses = [[e["@type"] for e in r["dpv:hasConsentStatus"]] for r in graph]
    assert statuses == [
        ["dpv:ConsentGiven", "dpv:ConsentExpired"],
        ["dpv:ConsentWithdrawn"],
        ["dpv:ConsentRefused"],
    ]
    expired = graph[0]["dpv:hasConsentStatus"][1]
    assert expired["dpv:isIndicatedAtTime"]["@value"] == "2026-11-26T09:00:00.000Z"
    withdrawn, objected = graph[1], graph[2]
    assert "by telephone" in withdrawn["dpv:hasConsentStatus"][0]["dpv:hasIndicationMethod"]
    assert withdrawn["dpv:hasConsentStatus"][0]["dpv:hasDuration"]["@type"] == (
        "dpv:UntilEventDuration"
    )
    assert "dpv:hasNotice" not in withdrawn
    process = objected["dpv:hasProcess"]
    assert process["dpv:hasPurpose"]["dct:identifier"] == FSM_PURPOSE.purpose
    assert process["dpv:hasRecipient"]["dct:identifier"] == "northbridge-schools"
    assert "Article 21" in process["dpv:hasRight"]["dct:title"]
    assert "dpv:hasLegalBasis" not in process


def test_the_document_is_json_and_uses_only_declared_prefixes(
    session: Session, subject: Subject
) -> None:
    staff = officer(session)
    record(session, subject, captured_via=CaptureMethod.IN_PERSON, captured_by=staff)
    record(session, subject, ConsentStatus.OBJECTED, scope=FSM_PURPOSE)
    document = services.export_dpv(session, subject.id)
    text = json.dumps(document)
    prefixes = set(document["@context"][1])
    for iri in compact_iris(document):
        prefix = iri.split(":", 1)[0]
        assert prefix in prefixes | {"urn", "https"}, iri
    # The citizen's own copy: no NINO, no staff identity.
    assert NINO not in text
    assert staff.email not in text
    assert staff.name not in text
    assert not re.search(r'"captured_by', text)


def test_an_unknown_subject_has_no_export(session: Session) -> None:
    with pytest.raises(SubjectUnknown):
        services.export_dpv(session, "nobody")
