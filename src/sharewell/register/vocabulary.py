"""The register's controlled vocabularies: one place, shared by tables, YAML and the catalogue."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    COUNCIL = "council"
    DWP = "dwp"
    HMRC = "hmrc"
    SCHOOL = "school"
    HEALTH = "health"
    POLICE = "police"
    ENERGY_SUPPLIER = "energy_supplier"
    GOVERNMENT_DEPARTMENT = "government_department"
    PARTNER = "partner"


class Role(StrEnum):
    OFFICER = "officer"
    DPO = "dpo"
    AUDITOR = "auditor"
    ADMIN = "admin"


# What people read for each kind, role and class (never the code).
ORGANISATION_KIND_TITLES: dict[str, str] = {
    OrganisationKind.COUNCIL: "Council",
    OrganisationKind.DWP: "Department for Work and Pensions",
    OrganisationKind.HMRC: "HM Revenue and Customs",
    OrganisationKind.SCHOOL: "School",
    OrganisationKind.HEALTH: "Health body",
    OrganisationKind.POLICE: "Police",
    OrganisationKind.ENERGY_SUPPLIER: "Energy supplier",
    OrganisationKind.GOVERNMENT_DEPARTMENT: "Government department",
    OrganisationKind.PARTNER: "Partner organisation",
}
ROLE_TITLES: dict[str, str] = {
    Role.OFFICER: "Officer",
    Role.DPO: "Data protection officer",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Administrator",
}


class Sensitivity(StrEnum):
    IDENTIFIER = "identifier"
    CONTACT = "contact"
    PERSONAL = "personal"
    FINANCIAL = "financial"
    SPECIAL_CATEGORY = "special_category"


class FieldType(StrEnum):
    STRING = "string"
    NINO = "nino"
    DATE = "date"
    POSTCODE = "postcode"
    MONEY = "money"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    UPRN = "uprn"


class GatewayKind(StrEnum):
    GATEWAY = "gateway"
    USE_POWER = "use_power"
    DUTY_TO_SHARE = "duty_to_share"
    CO_OPERATION_DUTY = "co_operation_duty"
    DUTY = "duty"
    OFFENCE = "offence"
    LAWFUL_BASIS = "lawful_basis"
    ELIGIBILITY_RULE = "eligibility_rule"


# An agreement may rest on these; an offence or an eligibility rule is never a basis to share.
SHARING_BASIS_KINDS = frozenset(
    {
        GatewayKind.GATEWAY,
        GatewayKind.USE_POWER,
        GatewayKind.DUTY_TO_SHARE,
        GatewayKind.CO_OPERATION_DUTY,
        GatewayKind.DUTY,
        GatewayKind.LAWFUL_BASIS,
    }
)


class GatewayStatus(StrEnum):
    IN_FORCE = "in_force"
    ENACTED_COMMENCEMENT_UNVERIFIED = "enacted_commencement_unverified"
    PROPOSED = "proposed"


class DataProtectionBasis(StrEnum):
    PUBLIC_TASK = "public_task"
    LEGAL_OBLIGATION = "legal_obligation"
    CONSENT = "consent"
    NONE = "none"


class Purpose(StrEnum):
    BENEFIT_ADMINISTRATION = "benefit-administration"
    FRAUD_AND_ERROR = "fraud-and-error"
    BENEFIT_TAKE_UP = "benefit-take-up"
    FREE_SCHOOL_MEALS = "free-school-meals"
    WELFARE_SERVICES = "welfare-services"
    PUBLIC_SERVICE_DELIVERY = "public-service-delivery"
    FUEL_POVERTY = "fuel-poverty"
    DEBT_RECOVERY = "debt-recovery"
    SAFEGUARDING = "safeguarding"
    HOMELESSNESS_PREVENTION = "homelessness-prevention"
    COUNCIL_TAX = "council-tax"
    CONSENTED_PURPOSE = "consented-purpose"


PURPOSE_TITLES: dict[Purpose, str] = {
    Purpose.BENEFIT_ADMINISTRATION: "Administering benefit claims",
    Purpose.FRAUD_AND_ERROR: "Preventing fraud and checking accuracy",
    Purpose.BENEFIT_TAKE_UP: "Finding people who may be entitled and helping them claim",
    Purpose.FREE_SCHOOL_MEALS: "Free school meals and other education benefits",
    Purpose.WELFARE_SERVICES: "Providing welfare services",
    Purpose.PUBLIC_SERVICE_DELIVERY: "Improving public services for people facing disadvantage",
    Purpose.FUEL_POVERTY: "Helping people in fuel poverty (including the Warm Home Discount)",
    Purpose.DEBT_RECOVERY: "Recovering debt owed to the public sector",
    Purpose.SAFEGUARDING: "Safeguarding children and adults at risk",
    Purpose.HOMELESSNESS_PREVENTION: "Preventing homelessness",
    Purpose.COUNCIL_TAX: "Council tax and council tax reduction",
    Purpose.CONSENTED_PURPOSE: "A purpose the person has consented to",
}


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


# The lifecycle: an expired agreement is finished; a new period needs a new agreement.
ALLOWED_TRANSITIONS: dict[AgreementStatus, frozenset[AgreementStatus]] = {
    AgreementStatus.DRAFT: frozenset({AgreementStatus.ACTIVE}),
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.SUSPENDED, AgreementStatus.EXPIRED}),
    AgreementStatus.SUSPENDED: frozenset({AgreementStatus.ACTIVE, AgreementStatus.EXPIRED}),
    AgreementStatus.EXPIRED: frozenset(),
}


def check_constraint_values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)
