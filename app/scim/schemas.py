"""The SCIM resources this service serves, built on scim2-models, and its discovery documents.

The User and enterprise extension schemas are narrowed to the attributes a member can hold:
what /Schemas publishes is exactly what is stored and returned, so identity providers and
compliance tools never send an attribute that silently vanishes. Attributes outside these
schemas are accepted and ignored (Entra and Okta send more than they map), as the policy says.
Groups use the core Group schema's attributes.

Each attribute carries the characteristics (RFC 7643 §2.2, §7) of the rules the service
enforces, so /Schemas tells a client in advance what it refuses: `required` where a value is
always kept (scim2-models then refuses a PATCH that removes it, scimType mutability, RFC 7644
§3.5.2.2), `uniqueness: server` where a second resource may not hold the same value (409
uniqueness), `caseExact` as values are compared, in filters and in uniqueness. The common
attribute externalId is listed where its characteristics differ from RFC 7643 §3.1's. A
length limit has no characteristic of its own: the attribute's description gives it."""

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

# The longest value each string attribute may hold (what its column keeps); a longer one is
# refused with invalidValue.
USER_LIMITS = {
    "userName": 320,
    "externalId": 200,
    "name.givenName": 200,
    "name.familyName": 200,
    "displayName": 400,
    "emails.type": 64,
    "employeeNumber": 200,
    "department": 200,
}
GROUP_LIMITS = {"displayName": 200}
# A department's code, the group's externalId (as app/departments/schemas.py has it); another
# value is made into one.
CODE_LENGTH = 64
CODE_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{CODE_LENGTH - 1}}}$"


def _at_most(limits: dict[str, int], attribute: str) -> str:
    return f"At most {limits[attribute]} characters."


class Name(sm.ComplexAttribute):
    """The components of the user's real name."""

    family_name: str | None = Field(
        None,
        description=f"The family name (achternaam). {_at_most(USER_LIMITS, 'name.familyName')}",
    )
    given_name: str | None = Field(
        None, description=f"The given name (voornaam). {_at_most(USER_LIMITS, 'name.givenName')}"
    )


class Email(sm.ComplexAttribute):
    """The member's e-mail address: one; the primary, else work, else first one sent."""

    # Unique among members regardless of case (members.email_key).
    value: Annotated[str | None, sm.Uniqueness.server] = Field(
        None, description="The address; no two members have the same one (in any case)."
    )
    type: str | None = Field(
        None, description=f"As sent; 'work' when none was. {_at_most(USER_LIMITS, 'emails.type')}"
    )
    primary: bool | None = Field(None, description="As sent; true when none was.")


class User(sm.Resource[sm.AnyExtension]):
    """A member of the learning community."""

    __schema__ = sm.URN(USER_SCHEMA)

    # The member's externalId: unique among members, compared as sent.
    external_id: Annotated[str | None, sm.Uniqueness.server, sm.CaseExact.true] = Field(
        None,
        description="The provider's identifier of the user; no two members have the same one. "
        + _at_most(USER_LIMITS, "externalId"),
    )
    # Unique regardless of case (scim_users.user_name_key).
    user_name: Annotated[str | None, sm.Uniqueness.server, sm.Required.true] = Field(
        None,
        description="The provider's name for the user (UPN or e-mail address); no two users "
        f"have the same one, in any case. {_at_most(USER_LIMITS, 'userName')}",
    )
    name: Name | None = Field(None, description="The member's real name.")
    display_name: str | None = Field(
        None, description=f"How the member is shown. {_at_most(USER_LIMITS, 'displayName')}"
    )
    # A member is active or inactive, never neither: it cannot be removed.
    active: Annotated[bool | None, sm.Required.true] = Field(
        None,
        description="False deactivates the member. It cannot be removed; left out of a POST "
        "it is true, left out of a PUT it stays as it was.",
    )
    emails: list[Email] | None = Field(
        None,
        description="The member's e-mail address: one is kept, the primary, else work, else "
        "the first sent; with none, the userName when it is an address.",
    )


class EnterpriseUser(sm.Extension):
    """Enterprise user attributes kept for members."""

    __schema__ = sm.URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = Field(
        None, description=f"The HR number, as sent. {_at_most(USER_LIMITS, 'employeeNumber')}"
    )
    department: str | None = Field(
        None,
        description="A department code or name; it places the member there. Left out, it is "
        f"the name of the member's department, if any. {_at_most(USER_LIMITS, 'department')}",
    )


UserResource = User[EnterpriseUser]


class GroupMember(sm.ComplexAttribute):
    """A member of the department."""

    value: Annotated[str | None, sm.Mutability.immutable, sm.CaseExact.true] = Field(
        None, description="The id of a user; adding one moves the member to this department."
    )
    # Departments hold members only, never other departments.
    ref: Annotated[sm.Reference[UserResource] | None, sm.Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref", description="The user's URI."
    )
    type: Annotated[str | None, sm.Mutability.immutable] = Field(
        None, examples=["User"], description="User: departments hold no departments."
    )
    # No `display`: a membership has no name of its own to keep; the user resource has it.


class Group(sm.Resource[Any]):
    """A department of the municipality."""

    __schema__ = sm.URN(GROUP_SCHEMA)

    # The department's code: every department has one, unique, compared as sent.
    external_id: Annotated[
        str | None, sm.Required.true, sm.Uniqueness.server, sm.CaseExact.true
    ] = Field(
        None,
        description=f"The department's code: letters, digits, '.', '_' and '-', at most "
        f"{CODE_LENGTH} (another value is made into one: its letters and digits, upper-cased, "
        "joined by '-'). It cannot be removed; left out of a POST it is made from displayName, "
        "left out of a PUT it stays as it was.",
    )
    display_name: Annotated[str | None, sm.Required.true] = Field(
        None, description=f"The department's name. {_at_most(GROUP_LIMITS, 'displayName')}"
    )
    members: list[GroupMember] | None = Field(
        None, description="The department's members; a user is in one department at most."
    )


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
