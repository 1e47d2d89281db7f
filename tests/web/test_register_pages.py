"""The public register over HTTP: pages, JSON, downloads and errors. No personal data shown."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from pages import check_page

PAGES = [
    "/",
    "/register",
    "/register?show=all",
    "/register/agreements/northbridge-hb-fsm-consent",
    "/register/agreements/dwp-northbridge-welfare-services",
    "/register/gateways",
    "/register/gateways/wra2012-s131",
    "/register/gateways/ssaa1992-s123",
    "/register/benefit-rules",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_well_formed(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    check_page(response.text)
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_register_lists_active_agreements_and_hides_drafts(client: TestClient) -> None:
    page = client.get("/register").text
    assert "Free school meals from Housing Benefit awards, with consent" in page
    assert "Automatic free school meals enrolment" not in page  # still a draft
    assert client.get("/register/agreements/northbridge-fsm-auto-enrolment").status_code == 404


def test_agreement_page_names_the_law_fields_and_parties(client: TestClient) -> None:
    page = client.get("/register/agreements/dwp-northbridge-welfare-services").text
    assert "Department for Work and Pensions" in page
    assert "Welfare Reform Act 2012, s.131" in page
    assert "National Insurance number" in page
    assert "Identifier" in page  # the field's sensitivity class


def test_json_register_has_no_personal_data(client: TestClient) -> None:
    body = client.get("/api/v1/register/agreements").json()
    ids = {a["id"] for a in body["agreements"]}
    assert ids == {
        "dwp-northbridge-welfare-services",
        "northbridge-hb-fsm-consent",
        "northbridge-southmere-shared-service",
        "northbridge-advice-referrals",
    }
    fsm = next(a for a in body["agreements"] if a["id"] == "northbridge-hb-fsm-consent")
    assert fsm["consent_required"] is True
    assert [g["id"] for g in fsm["gateways"]] == ["consent-route"]
    assert "dob" in fsm["datasets"][0]["fields"]  # field *names*, never values
    assert "@" not in client.get("/api/v1/register/agreements").text  # no staff emails


def test_yaml_download_is_an_importable_agreement(client: TestClient) -> None:
    response = client.get("/register/agreements/northbridge-hb-fsm-consent.yaml")
    assert response.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(response.text)
    assert document["sharewell"] == "agreement/v1"
    assert document["id"] == "northbridge-hb-fsm-consent"


def test_unknown_agreement_is_a_gov_uk_404_page(client: TestClient) -> None:
    response = client.get("/register/agreements/nope")
    assert response.status_code == 404
    check_page(response.text)
    assert "There is no agreement with id" in response.text


def test_unknown_route_is_a_404_page(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    check_page(response.text)


def test_api_errors_are_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/register/agreements/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    response = client.get("/api/v1/register/agreements?include_inactive=perhaps")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/query/include_inactive"


def test_schemas_are_served(client: TestClient) -> None:
    schema = client.get("/register/schema/agreement-v1.json").json()
    assert schema["title"] == "AgreementDocument"


def test_filter_shows_inactive_agreements_without_javascript(client: TestClient) -> None:
    all_page = client.get("/register?show=all").text
    assert 'value="all" checked' in all_page
