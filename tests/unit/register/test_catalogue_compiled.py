"""The compiled gateway catalogue and benefit rules shipped as package data.

Checks that the committed files are a fresh compile of ../shared/reference (when that directory
exists) and that every machine field keeps to its vocabulary and to the catalogue's invariants.
The vocabularies are written out here on purpose, independently of compile.py.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
REFERENCE_DIR = (REPO_ROOT.parent / "shared" / "reference").resolve()
COMPILE_SCRIPT = REPO_ROOT / "scripts" / "catalogue" / "compile.py"
DATA_DIR = REPO_ROOT / "src" / "sharewell" / "register" / "data"

ORGANISATION_KINDS = {
    "council",
    "dwp",
    "hmrc",
    "school",
    "health",
    "police",
    "energy_supplier",
    "government_department",
    "partner",
}
PURPOSE_CODES = {
    "benefit-administration",
    "fraud-and-error",
    "benefit-take-up",
    "free-school-meals",
    "welfare-services",
    "public-service-delivery",
    "fuel-poverty",
    "debt-recovery",
    "safeguarding",
    "homelessness-prevention",
    "council-tax",
    "consented-purpose",
}
KINDS = {
    "gateway",
    "use_power",
    "duty_to_share",
    "co_operation_duty",
    "duty",
    "offence",
    "lawful_basis",
    "eligibility_rule",
}
STATUSES = {"in_force", "enacted_commencement_unverified", "proposed"}
JURISDICTIONS = {"England", "England and Wales", "GB", "UK"}
BASES = {"public_task", "legal_obligation", "consent", "none"}
GATEWAY_KEYS = [
    "id",
    "title",
    "citation",
    "jurisdiction",
    "kind",
    "status",
    "in_force_from",
    "disclosers",
    "recipients",
    "discloser_kinds",
    "recipient_kinds",
    "purposes",
    "purpose_codes",
    "consent_required",
    "consent_note",
    "data_protection_basis",
    "right_to_object",
    "typical_data",
    "source_url",
    "other_sources",
    "verified",
    "uncertain",
    "notes",
    "machine_note",
]
SHARING_KINDS = {"gateway", "use_power", "duty_to_share"}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gateways() -> list[dict[str, Any]]:
    data = _load(DATA_DIR / "gateways.yaml")
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def benefit_rules() -> list[dict[str, Any]]:
    data = _load(DATA_DIR / "benefit-rules.yaml")
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference facts not available at {REFERENCE_DIR} (outside this checkout)")
    return REFERENCE_DIR


def test_committed_outputs_are_a_fresh_compile(reference_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(COMPILE_SCRIPT), "--check", "--reference", str(reference_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr or result.stdout


def test_files_say_they_are_generated_reference_data() -> None:
    for name in ("gateways.yaml", "benefit-rules.yaml"):
        head = (DATA_DIR / name).read_text(encoding="utf-8")[:1000]
        assert "GENERATED" in head
        assert "NOT LEGAL ADVICE" in head
        assert "Reference compiled: " in head


def test_ids_unique_and_equal_to_reference(
    gateways: list[dict[str, Any]], reference_dir: Path
) -> None:
    ids = [g["id"] for g in gateways]
    assert len(ids) == len(set(ids))
    reference = _load(reference_dir / "legal-gateways.yaml")
    assert ids == [r["id"] for r in reference]
    rule_ids = [r["id"] for r in _load(reference_dir / "benefit-rules.yaml")]
    assert [r["id"] for r in _load(DATA_DIR / "benefit-rules.yaml")] == rule_ids


def test_record_shape_and_vocabularies(gateways: list[dict[str, Any]]) -> None:
    for g in gateways:
        gid = g["id"]
        assert list(g) == GATEWAY_KEYS, gid
        assert g["jurisdiction"] in JURISDICTIONS, gid
        assert g["kind"] in KINDS, gid
        assert g["status"] in STATUSES, gid
        assert g["verified"] in {"yes", "partial"}, gid
        assert g["data_protection_basis"] in BASES, gid
        assert isinstance(g["consent_required"], bool), gid
        assert isinstance(g["right_to_object"], bool), gid
        assert isinstance(g["consent_note"], str), gid
        assert g["in_force_from"] is None or isinstance(g["in_force_from"], str), gid
        for key in ("discloser_kinds", "recipient_kinds"):
            assert set(g[key]) <= ORGANISATION_KINDS, (gid, key)
            assert len(g[key]) == len(set(g[key])), (gid, key)
        assert set(g["purpose_codes"]) <= PURPOSE_CODES, gid
        assert len(g["purpose_codes"]) == len(set(g["purpose_codes"])), gid
        for key in ("disclosers", "recipients", "purposes", "typical_data"):
            assert all(isinstance(x, str) for x in g[key]), (gid, key)
        for key in ("other_sources", "uncertain"):
            assert isinstance(g[key], list), (gid, key)


def test_right_to_object_follows_the_basis(gateways: list[dict[str, Any]]) -> None:
    for g in gateways:
        assert g["right_to_object"] is (g["data_protection_basis"] == "public_task"), g["id"]


def test_offences_are_not_sharing_bases(gateways: list[dict[str, Any]]) -> None:
    offences = [g for g in gateways if g["kind"] == "offence"]
    assert offences
    for g in offences:
        assert g["purpose_codes"] == [], g["id"]
        assert g["consent_required"] is False, g["id"]
        assert g["data_protection_basis"] == "none", g["id"]
        assert g["discloser_kinds"] == [], g["id"]
        assert g["recipient_kinds"] == [], g["id"]


def test_consent_route(gateways: list[dict[str, Any]]) -> None:
    (route,) = [g for g in gateways if g["id"] == "consent-route"]
    assert route["consent_required"] is True
    assert "consented-purpose" in route["purpose_codes"]
    assert route["data_protection_basis"] == "consent"
    others = [g["id"] for g in gateways if "consented-purpose" in g["purpose_codes"]]
    assert others == ["consent-route"]


def test_in_force_sharing_bases_are_usable(gateways: list[dict[str, Any]]) -> None:
    for g in gateways:
        if g["kind"] in SHARING_KINDS and g["status"] == "in_force":
            assert g["purpose_codes"], g["id"]
            assert g["discloser_kinds"], g["id"]


def test_benefit_amounts(benefit_rules: list[dict[str, Any]]) -> None:
    seen = 0
    for rule in benefit_rules:
        for amount in rule["amounts"]:
            where = f"{rule['id']}/{amount['name']}"
            seen += 1
            assert isinstance(amount["amount"], int | float), where
            assert not isinstance(amount["amount"], bool), where
            assert isinstance(amount["applies_from"], str), where
            parsed = amount["applies_from_date"]
            if parsed is not None:
                assert isinstance(parsed, str), where
                assert dt.date.fromisoformat(parsed).isoformat() == parsed, where
                assert amount["applies_from"].startswith(parsed), where
            assert "note" in amount, where
    assert seen
