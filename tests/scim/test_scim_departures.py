"""SCIM deprovisioning (DELETE) and `active: false` end what the member takes part in."""

from __future__ import annotations

import uuid

from tests.factories import make_key
from tests.members.departures import assert_departed, taking_part
from tests.scim.test_scim_users import create as scim_create
from tests.scim.test_scim_users import entra_user, scim


async def test_scim_deprovisioning_and_active_false_depart(client):
    admin, sync = await make_key("admin"), await make_key("sync")
    for n, how in ((1, "delete"), (2, "patch")):
        user = await scim_create(client, sync, entra_user(n))
        part = await taking_part(uuid.UUID(user["id"]))
        if how == "delete":
            response = await scim(client, "DELETE", f"/Users/{user['id']}", sync)
            assert response.status_code == 204, response.text
        else:
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
            response = await scim(client, "PATCH", f"/Users/{user['id']}", sync, body)
            assert response.status_code == 200, response.text
        await assert_departed(client, admin, user["id"], part)
