"""The app answers, with its contract headers, on both databases."""

from tests.factories import bearer, make_key


async def test_health_is_public_and_versioned(client):
    response = await client.get("/v1/health")
    assert response.status_code == 200
    assert response.headers["API-Version"] == "1.0.0"
    assert response.json()["status"] == "ok"


async def test_departments_roundtrip(client):
    key = await make_key("admin")
    created = await client.post(
        "/v1/departments",
        json={"code": "RD", "name": "Ruimte en Duurzaamheid", "kind": "afdeling"},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    listed = await client.get("/v1/departments", headers=bearer(key))
    assert [d["code"] for d in listed.json()["items"]] == ["RD"]
