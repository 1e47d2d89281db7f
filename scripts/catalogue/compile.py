"""Compile sharewell's gateway catalogue and benefit rules from the shared reference facts.

Usage::

    python scripts/catalogue/compile.py [--reference DIR] [--check]

Reads ``legal-gateways.yaml`` and ``benefit-rules.yaml`` from the reference directory (default
``../shared/reference`` relative to the repository root) and the hand-curated machine fields in
``scripts/catalogue/overlay.yaml``, and writes two package-data files:

* ``src/sharewell/register/data/gateways.yaml``: every reference record, same order, with the
  machine-readable fields the broker needs (organisation kinds, purpose codes, data-protection
  basis, right to object, and a ``machine_note`` saying why where the choice was not obvious);
* ``src/sharewell/register/data/benefit-rules.yaml``: the benefit rules, every amount gaining an
  ``applies_from_date`` (ISO date or null) next to its ``applies_from`` text.

Output is deterministic: it depends only on the inputs (the header carries the reference's own
compile date, never today's date). ``--check`` compiles in memory and exits 1 if a committed
output differs. Any overlay gap, unknown id or out-of-vocabulary value stops the compile with a
message naming the record and the field. Standard library and PyYAML only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "reference"
OVERLAY = Path(__file__).resolve().with_name("overlay.yaml")
DATA_DIR = REPO_ROOT / "src" / "sharewell" / "register" / "data"
GATEWAYS_OUT = DATA_DIR / "gateways.yaml"
RULES_OUT = DATA_DIR / "benefit-rules.yaml"

# --- vocabularies (kept in step with sharewell.register.vocabulary; this script is stdlib-only) ---
JURISDICTIONS = ("England", "England and Wales", "GB", "UK")
KINDS = (
    "gateway",
    "use_power",
    "duty_to_share",
    "co_operation_duty",
    "duty",
    "offence",
    "lawful_basis",
    "eligibility_rule",
)
STATUSES = ("in_force", "enacted_commencement_unverified", "proposed")
ORGANISATION_KINDS = (
    "council",
    "dwp",
    "hmrc",
    "school",
    "health",
    "police",
    "energy_supplier",
    "government_department",
    "partner",
)
PURPOSE_CODES = (
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
)
DATA_PROTECTION_BASES = ("public_task", "legal_obligation", "consent", "none")
VERIFIED = ("yes", "partial")
AMOUNT_UNITS = (
    "week",
    "month",
    "year",
    "assessment_period",
    "one_off_per_scheme_year",
    "capital_sum",
    "percent_of_excess_weekly_income",
    "percent_of_liability",
)

# --- record shapes ---
GATEWAY_REFERENCE_REQUIRED = (
    "id",
    "title",
    "citation",
    "jurisdiction",
    "kind",
    "status",
    "disclosers",
    "recipients",
    "purposes",
    "consent",
    "typical_data",
    "source_url",
    "verified",
)
GATEWAY_REFERENCE_OPTIONAL = ("in_force_from", "other_sources", "uncertain", "notes")
# Reference keys deliberately not carried into the package catalogue (the output format is fixed).
# specified_benefits_read (ssaa1992-s7b) is a reading note on a truncated regulation; the record's
# `uncertain` list already says the list of specified benefits is unconfirmed.
GATEWAY_REFERENCE_DROPPED = ("specified_benefits_read",)
OVERLAY_FIELDS = (
    "discloser_kinds",
    "recipient_kinds",
    "purpose_codes",
    "data_protection_basis",
    "right_to_object",
    "machine_note",
)
AMOUNT_REQUIRED = ("name", "amount", "unit", "applies_from", "source_url", "verified")
AMOUNT_OPTIONAL = ("note",)

ISO_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?![\d-])")
COMPILED_LINE = re.compile(r"^#\s*Compiled\s*:\s*(\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)


class CompileError(Exception):
    """The inputs cannot be compiled; the message says which record and field."""


# --------------------------------------------------------------------------- helpers


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice (PyYAML keeps the last)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate key(s) {', '.join(duplicates)}", node.start_mark
        )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CompileError(f"{path}: file not found") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CompileError(f"{path}: not valid YAML: {exc}") from exc


def _compile_date(path: Path) -> str:
    match = COMPILED_LINE.search(path.read_text(encoding="utf-8"))
    if match is None:
        raise CompileError(f"{path}: header has no '# Compiled : YYYY-MM-DD' line")
    return match.group(1)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CompileError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _str_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CompileError(f"{where}: expected a list of strings, got {value!r}")
    return [_str(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _vocab_list(value: Any, vocabulary: Sequence[str], where: str) -> list[str]:
    if not isinstance(value, list):
        raise CompileError(f"{where}: expected a list, got {value!r}")
    seen: set[str] = set()
    for item in value:
        if item not in vocabulary:
            raise CompileError(
                f"{where}: {item!r} is not in the vocabulary ({', '.join(vocabulary)})"
            )
        if item in seen:
            raise CompileError(f"{where}: {item!r} is listed twice")
        seen.add(item)
    return list(value)


def _one_of(value: Any, vocabulary: Sequence[str], where: str) -> str:
    if value not in vocabulary:
        raise CompileError(f"{where}: {value!r} is not one of {', '.join(vocabulary)}")
    return str(value)


def _check_keys(
    record: Mapping[str, Any],
    required: Sequence[str],
    optional: Sequence[str],
    where: str,
) -> None:
    missing = [key for key in required if key not in record]
    if missing:
        raise CompileError(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(set(record) - set(required) - set(optional))
    if unknown:
        raise CompileError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _unique_ids(records: Sequence[Mapping[str, Any]], what: str) -> list[str]:
    ids = [_str(record.get("id"), f"{what}: record {i} id") for i, record in enumerate(records)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CompileError(f"{what}: duplicate id(s) {', '.join(duplicates)}")
    return ids


def _as_record_list(data: Any, path: Path) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise CompileError(f"{path}: expected a YAML list of mappings")
    return data


# --------------------------------------------------------------------------- gateways


def _overlay_fields(gateway_id: str, entry: Any, kind: str) -> dict[str, Any]:
    where = f"overlay {gateway_id}"
    if not isinstance(entry, dict):
        raise CompileError(f"{where}: expected a mapping of machine fields")
    _check_keys(entry, OVERLAY_FIELDS, (), where)
    fields: dict[str, Any] = {
        "discloser_kinds": _vocab_list(
            entry["discloser_kinds"], ORGANISATION_KINDS, f"{where}.discloser_kinds"
        ),
        "recipient_kinds": _vocab_list(
            entry["recipient_kinds"], ORGANISATION_KINDS, f"{where}.recipient_kinds"
        ),
        "purpose_codes": _vocab_list(
            entry["purpose_codes"], PURPOSE_CODES, f"{where}.purpose_codes"
        ),
        "data_protection_basis": _one_of(
            entry["data_protection_basis"],
            DATA_PROTECTION_BASES,
            f"{where}.data_protection_basis",
        ),
        "machine_note": _opt_str(entry["machine_note"], f"{where}.machine_note"),
    }
    right_to_object = entry["right_to_object"]
    if not isinstance(right_to_object, bool):
        raise CompileError(f"{where}.right_to_object: expected true or false")
    # UK GDPR Art 21 gives a right to object to processing on public task; not to processing on
    # a legal obligation, on consent (withdrawal is the remedy) or where nothing is processed.
    if right_to_object != (fields["data_protection_basis"] == "public_task"):
        raise CompileError(
            f"{where}.right_to_object: must be true exactly when data_protection_basis is "
            f"public_task (got {right_to_object} with {fields['data_protection_basis']})"
        )
    fields["right_to_object"] = right_to_object
    if kind == "offence" and (
        fields["purpose_codes"]
        or fields["discloser_kinds"]
        or fields["recipient_kinds"]
        or fields["data_protection_basis"] != "none"
    ):
        raise CompileError(
            f"{where}: an offence is a constraint, not a sharing basis: it takes no kinds, "
            "no purpose codes and data_protection_basis none"
        )
    return fields


def compile_gateways(reference: Path, overlay_path: Path) -> list[dict[str, Any]]:
    path = reference / "legal-gateways.yaml"
    records = _as_record_list(_load_yaml(path), path)
    reference_ids = _unique_ids(records, str(path))

    overlay = _load_yaml(overlay_path)
    if not isinstance(overlay, dict):
        raise CompileError(f"{overlay_path}: expected a mapping of gateway id -> machine fields")
    missing = [i for i in reference_ids if i not in overlay]
    if missing:
        raise CompileError(f"{overlay_path}: no machine fields for id(s) {', '.join(missing)}")
    unknown = [i for i in overlay if i not in reference_ids]
    if unknown:
        raise CompileError(
            f"{overlay_path}: id(s) not in the reference: {', '.join(map(str, unknown))}"
        )

    out: list[dict[str, Any]] = []
    for record in records:
        gid = record["id"]
        where = f"{path.name} {gid}"
        _check_keys(
            record,
            GATEWAY_REFERENCE_REQUIRED,
            GATEWAY_REFERENCE_OPTIONAL + GATEWAY_REFERENCE_DROPPED,
            where,
        )
        consent = record["consent"]
        if not isinstance(consent, dict) or not isinstance(consent.get("required"), bool):
            raise CompileError(f"{where}.consent: expected a mapping with required: true|false")
        _check_keys(consent, ("required", "note"), (), f"{where}.consent")
        kind = _one_of(record["kind"], KINDS, f"{where}.kind")
        machine = _overlay_fields(gid, overlay[gid], kind)
        if consent["required"] and kind == "offence":
            raise CompileError(f"{where}: an offence cannot require consent")
        out.append(
            {
                "id": gid,
                "title": _str(record["title"], f"{where}.title"),
                "citation": _str(record["citation"], f"{where}.citation"),
                "jurisdiction": _one_of(
                    record["jurisdiction"], JURISDICTIONS, f"{where}.jurisdiction"
                ),
                "kind": kind,
                "status": _one_of(record["status"], STATUSES, f"{where}.status"),
                "in_force_from": _opt_str(record.get("in_force_from"), f"{where}.in_force_from"),
                "disclosers": _str_list(record["disclosers"], f"{where}.disclosers"),
                "recipients": _str_list(record["recipients"], f"{where}.recipients"),
                "discloser_kinds": machine["discloser_kinds"],
                "recipient_kinds": machine["recipient_kinds"],
                "purposes": _str_list(record["purposes"], f"{where}.purposes"),
                "purpose_codes": machine["purpose_codes"],
                "consent_required": consent["required"],
                "consent_note": _str(consent["note"], f"{where}.consent.note"),
                "data_protection_basis": machine["data_protection_basis"],
                "right_to_object": machine["right_to_object"],
                "typical_data": _str_list(record["typical_data"], f"{where}.typical_data"),
                "source_url": _str(record["source_url"], f"{where}.source_url"),
                "other_sources": _str_list(record.get("other_sources"), f"{where}.other_sources"),
                "verified": _one_of(record["verified"], VERIFIED, f"{where}.verified"),
                "uncertain": _str_list(record.get("uncertain"), f"{where}.uncertain"),
                "notes": _opt_str(record.get("notes"), f"{where}.notes"),
                "machine_note": machine["machine_note"],
            }
        )
    return out


# --------------------------------------------------------------------------- benefit rules


def applies_from_date(applies_from: str) -> str | None:
    """The ISO date an ``applies_from`` text starts with, or None if it starts otherwise."""
    match = ISO_DATE_PREFIX.match(applies_from.strip())
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def compile_benefit_rules(reference: Path) -> list[dict[str, Any]]:
    path = reference / "benefit-rules.yaml"
    records = _as_record_list(_load_yaml(path), path)
    _unique_ids(records, str(path))
    out: list[dict[str, Any]] = []
    for record in records:
        where = f"{path.name} {record['id']}"
        _one_of(record.get("jurisdiction"), JURISDICTIONS, f"{where}.jurisdiction")
        amounts = record.get("amounts")
        if not isinstance(amounts, list):
            raise CompileError(f"{where}.amounts: expected a list")
        names = [a.get("name") if isinstance(a, dict) else None for a in amounts]
        if len(set(names)) != len(names):
            raise CompileError(f"{where}.amounts: duplicate amount names")
        normalised: list[dict[str, Any]] = []
        for i, amount in enumerate(amounts):
            at = f"{where}.amounts[{i}]"
            if not isinstance(amount, dict):
                raise CompileError(f"{at}: expected a mapping")
            _check_keys(amount, AMOUNT_REQUIRED, AMOUNT_OPTIONAL, at)
            value = amount["amount"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CompileError(f"{at}.amount: expected a number, got {value!r}")
            applies_from = _str(amount["applies_from"], f"{at}.applies_from")
            normalised.append(
                {
                    "name": _str(amount["name"], f"{at}.name"),
                    "amount": value,
                    "unit": _one_of(amount["unit"], AMOUNT_UNITS, f"{at}.unit"),
                    "applies_from": applies_from,
                    "applies_from_date": applies_from_date(applies_from),
                    "source_url": _str(amount["source_url"], f"{at}.source_url"),
                    "verified": _one_of(amount["verified"], VERIFIED, f"{at}.verified"),
                    "note": _opt_str(amount.get("note"), f"{at}.note"),
                }
            )
        out.append(
            {key: (normalised if key == "amounts" else value) for key, value in record.items()}
        )
    return out


# --------------------------------------------------------------------------- output


def _header(title: str, source: str, compiled: str) -> str:
    return (
        f"# {title}\n"
        "# GENERATED by scripts/catalogue/compile.py - do not edit by hand.\n"
        f"# Sources: ../shared/reference/{source}"
        + (" + scripts/catalogue/overlay.yaml" if source == "legal-gateways.yaml" else "")
        + "\n"
        f"# Reference compiled: {compiled}\n"
        "# REFERENCE DATA, NOT LEGAL ADVICE (nor welfare-rights advice). Summaries paraphrase the\n"
        "# sources named in each record; check the current text on legislation.gov.uk / GOV.UK\n"
        "# before relying on any entry or figure. Cite the underlying source, not this file.\n"
    )


def _dump(records: list[dict[str, Any]]) -> str:
    return yaml.safe_dump(
        records,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )


def render(reference: Path, overlay_path: Path = OVERLAY) -> dict[Path, str]:
    """Compile both outputs in memory: output path -> file text."""
    gateways_compiled = _compile_date(reference / "legal-gateways.yaml")
    rules_compiled = _compile_date(reference / "benefit-rules.yaml")
    gateways = compile_gateways(reference, overlay_path)
    rules = compile_benefit_rules(reference)
    return {
        GATEWAYS_OUT: _header(
            "sharewell gateway catalogue (legal gateways with machine-readable fields)",
            "legal-gateways.yaml",
            gateways_compiled,
        )
        + _dump(gateways),
        RULES_OUT: _header(
            "sharewell benefit rules (amounts gain applies_from_date)",
            "benefit-rules.yaml",
            rules_compiled,
        )
        + _dump(rules),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=DEFAULT_REFERENCE,
        help=f"reference directory (default: {DEFAULT_REFERENCE})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compile in memory; exit 1 if the committed outputs differ",
    )
    args = parser.parse_args(argv)
    reference: Path = args.reference.resolve()
    if not reference.is_dir():
        print(f"compile.py: reference directory {reference} does not exist", file=sys.stderr)
        return 2
    try:
        outputs = render(reference)
    except CompileError as exc:
        print(f"compile.py: {exc}", file=sys.stderr)
        return 2

    if args.check:
        stale = [
            path
            for path, text in outputs.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            for path in stale:
                print(
                    f"compile.py --check: {path.relative_to(REPO_ROOT)} differs from a fresh "
                    f"compile of {reference}; run `python scripts/catalogue/compile.py` and commit",
                    file=sys.stderr,
                )
            return 1
        print("compile.py --check: outputs are up to date")
        return 0

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
