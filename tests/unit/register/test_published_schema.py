"""The JSON Schemas published in docs/ match the code, and a third-party validator accepts them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from factories.register import agreement_yaml
from sharewell.demo.cli import demo_register_text
from sharewell.register.schemas import AgreementDocument, OrganisationDocument

SCHEMA_DIR = Path(__file__).parents[3] / "docs" / "schema"
MODELS = {"agreement/v1": AgreementDocument, "organisation/v1": OrganisationDocument}


def published(kind: str) -> dict[str, object]:
    path = SCHEMA_DIR / f"{kind.replace('/', '-')}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", MODELS)
def test_published_schema_matches_the_code(kind: str) -> None:
    assert published(kind) == MODELS[kind].model_json_schema(), (
        "docs/schema is stale: regenerate it with `sharewell register schema`"
    )


def test_every_demo_document_is_valid_under_the_published_schema() -> None:
    for document in yaml.safe_load_all(demo_register_text()):
        jsonschema.validate(document, published(document["sharewell"]))


def test_the_published_schema_refuses_what_sharewell_refuses() -> None:
    document = yaml.safe_load(agreement_yaml(recipeints=["southmere"]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, published("agreement/v1"))
    document = yaml.safe_load(agreement_yaml(purposes=[{"code": "marketing"}]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, published("agreement/v1"))
