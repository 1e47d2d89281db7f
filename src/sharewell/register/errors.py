"""What can go wrong in the register, each with a message a DPO can act on."""

from __future__ import annotations

from sharewell.errors import Conflict, InvalidInput, NotFound, PermissionDenied


class RegisterInputInvalid(InvalidInput):
    """A YAML document, a CSV file or a command's arguments failed validation."""


class AgreementNotFound(NotFound):
    def __init__(self, agreement_id: str) -> None:
        super().__init__(
            f"There is no agreement with id '{agreement_id}'.",
            hint="Check the id on the register (`sharewell register list`).",
        )


class OrganisationNotFound(NotFound):
    def __init__(self, organisation_id: str) -> None:
        super().__init__(
            f"There is no organisation with id '{organisation_id}'.",
            hint="Import its organisation/v1 document first (`sharewell register import`).",
        )


class DatasetNotFound(NotFound):
    def __init__(self, organisation_id: str, dataset_key: str) -> None:
        super().__init__(
            f"{organisation_id} has no dataset '{dataset_key}'.",
            hint="Datasets are declared in the organisation's organisation/v1 document.",
        )


class LifecycleNotPermitted(PermissionDenied):
    """The actor may not change this agreement's status."""


class LifecycleTransitionInvalid(Conflict):
    """The agreement cannot move from its status to the one asked for."""


class GatewayNotFound(NotFound):
    def __init__(self, gateway_id: str) -> None:
        super().__init__(
            f"There is no gateway with id '{gateway_id}' in the catalogue.",
            hint="The list of gateways is at /register/gateways (`sharewell register gateways`).",
        )
