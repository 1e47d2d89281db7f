"""Property: the YAML format round-trips exactly (export → import → export is identical)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from factories.register import load_demo_register
from sharewell.register import services
from sharewell.register.models import Agreement, Dataset, Gateway, Organisation
from sharewell.register.vocabulary import SHARING_BASIS_KINDS, Purpose

text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip())
slug = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


def draw_agreement(data: st.DataObject, session: Session) -> dict[str, object]:
    organisations = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    disclosers = [o for o in organisations if o.datasets]
    discloser = data.draw(st.sampled_from(disclosers))
    others = [o.id for o in organisations if o.id != discloser.id]
    bases = [
        g
        for g in session.scalars(select(Gateway).order_by(Gateway.id))
        if g.kind in SHARING_BASIS_KINDS and (g.purpose_codes or g.consent_required)
    ]
    gateways = data.draw(
        st.lists(st.sampled_from(bases), min_size=1, max_size=3, unique_by=lambda g: g.id)
    )
    consent_based = any(g.consent_required for g in gateways)
    codes = (
        sorted(Purpose)
        if consent_based
        else sorted({Purpose(c) for g in gateways for c in g.purpose_codes})
    )
    datasets: list[Dataset] = data.draw(
        st.lists(st.sampled_from(discloser.datasets), min_size=1, unique_by=lambda d: d.key)
    )
    start = data.draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1)))
    document: dict[str, object] = {
        "sharewell": "agreement/v1",
        "id": data.draw(slug),
        "title": data.draw(text),
        "summary": data.draw(st.one_of(st.just(""), text)),
        "discloser": discloser.id,
        "recipients": data.draw(st.lists(st.sampled_from(others), min_size=1, unique=True)),
        "gateways": [g.id for g in gateways],
        "purposes": [
            {"code": code.value, "description": data.draw(st.one_of(st.just(""), text))}
            for code in data.draw(st.lists(st.sampled_from(codes), min_size=1, unique=True))
        ],
        "datasets": [
            {
                "dataset": d.key,
                "fields": data.draw(
                    st.lists(st.sampled_from([f.name for f in d.fields]), min_size=1, unique=True)
                ),
            }
            for d in datasets
        ],
        "valid_from": start.isoformat(),
        "valid_until": (start + dt.timedelta(days=data.draw(st.integers(0, 3000)))).isoformat(),
    }
    consent = data.draw(st.sampled_from([None, True] if consent_based else [None, True, False]))
    if consent is not None:
        document["consent_required"] = consent
    if data.draw(st.booleans()):
        document["derived_from"] = data.draw(slug)
    return document


@contextmanager
def fresh_register(engine: Engine) -> Iterator[Session]:
    """The demo register in a transaction of its own, rolled back after each example."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            load_demo_register(session)
            yield session
        finally:
            session.close()
            transaction.rollback()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_export_import_export_is_identical(engine: Engine, data: st.DataObject) -> None:
    with fresh_register(engine) as session:
        document = draw_agreement(data, session)
        services.import_documents(session, yaml.safe_dump(document, allow_unicode=True))
        first = services.export_agreements(session, [str(document["id"])])

        session.delete(session.get(Agreement, document["id"]))
        session.flush()
        services.import_documents(session, first)
        second = services.export_agreements(session, [str(document["id"])])

        assert second == first
        (parsed,) = services.parse_documents(first)
        assert parsed == services.agreement_document(services.get_agreement(session, parsed.id))
        assert parsed.title == str(document["title"]).strip()


def test_the_whole_register_round_trips(session: Session) -> None:
    load_demo_register(session)
    exported = services.export_register(session)
    report = services.import_documents(session, exported)
    assert report.created == []
    assert report.updated == []
    assert services.export_register(session) == exported
