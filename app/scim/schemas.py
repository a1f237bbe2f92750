"""The SCIM resources this service serves, built on scim2-models, and its discovery documents.

The User and enterprise extension schemas are narrowed to the attributes a member can hold:
what /Schemas publishes is exactly what is stored and returned, so identity providers and
compliance tools never send an attribute that silently vanishes. Attributes outside these
schemas are accepted and ignored (Entra and Okta send more than they map), as the policy says.
Groups use the core Group schema unchanged."""

from __future__ import annotations

from typing import Annotated, Any

import scim2_models as sm
from pydantic import Field

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MAX_RESULTS = 1000
DEFAULT_COUNT = 100


class Name(sm.ComplexAttribute):
    """The components of the user's real name."""

    family_name: str | None = Field(None, description="The family name (achternaam).")
    given_name: str | None = Field(None, description="The given name (voornaam).")


class Email(sm.ComplexAttribute):
    """The member's e-mail address: one; the primary, else work, else first one sent."""

    value: str | None = Field(None, description="The address.")
    type: str | None = Field(None, description="As sent; 'work' when none was.")
    primary: bool | None = Field(None, description="As sent; true when none was.")


class User(sm.Resource[sm.AnyExtension]):
    """A member of the learning community."""

    __schema__ = sm.URN(USER_SCHEMA)

    user_name: Annotated[str | None, sm.Uniqueness.server, sm.Required.true] = Field(
        None, description="Unique identifier from the provider (UPN or e-mail address)."
    )
    name: Name | None = None
    display_name: str | None = Field(None, description="How the member is shown.")
    active: bool | None = Field(None, description="False deactivates the member.")
    emails: list[Email] | None = None


class EnterpriseUser(sm.Extension):
    """Enterprise user attributes kept for members."""

    __schema__ = sm.URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = Field(None, description="The HR number, as sent.")
    department: str | None = Field(
        None, description="A department code or name; it places the member there."
    )


UserResource = User[EnterpriseUser]


class GroupMember(sm.ComplexAttribute):
    """A member of the department."""

    value: Annotated[str | None, sm.Mutability.immutable, sm.CaseExact.true] = Field(
        None, description="The user's id."
    )
    # Departments hold members only, never other departments.
    ref: Annotated[sm.Reference[UserResource] | None, sm.Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, sm.Mutability.immutable] = Field(None, examples=["User"])
    # No `display`: a membership has no name of its own to keep; the user resource has it.


class Group(sm.Resource[Any]):
    """A department of the municipality."""

    __schema__ = sm.URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, sm.Required.true] = Field(
        None, description="The department's name."
    )
    members: list[GroupMember] | None = None


# What Entra ID and Okta send that the RFC reads strictly: unknown attributes (they send more
# than is mapped) are ignored; a remove carrying a value selects what to remove (Entra's group
# membership removals); a filtered path that matches nothing creates the entry it describes
# (Entra's `emails[type eq "work"].value` on a user with no address yet).
POLICY = sm.ScimPolicy(
    unknown=sm.ScimPolicy.Unknown.ignore,
    remove_value_as_filter=sm.ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=sm.ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = sm.ServiceProviderConfig(
    documentation_uri="https://leergemeenschap.amsterdam.example/docs/scim",
    patch=sm.Patch(supported=True),
    bulk=sm.Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=sm.Filter(supported=True, max_results=MAX_RESULTS),
    change_password=sm.ChangePassword(supported=False),
    sort=sm.Sort(supported=False),
    etag=sm.ETag(supported=False),
    authentication_schemes=[
        sm.AuthenticationScheme(
            type=sm.AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer API key",
            description="An API key (lgk_…) of role sync or admin, sent as a Bearer token.",
            primary=True,
        )
    ],
)

PROVIDER = sm.ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[
        sm.ResourceType.from_resource(UserResource),
        sm.ResourceType.from_resource(Group),
    ],
    config=CONFIG,
    policy=POLICY,
)


def meta_fields(resource_type: str, location: str, row: Any) -> sm.Meta:
    return sm.Meta(
        resource_type=resource_type,
        created=row.created_at,
        last_modified=row.updated_at,
        location=location,
        version=f'W/"{row.version}"',
    )
