import httpx, pytest
pytestmark = pytest.mark.anyio
async def test_asgi(asgi_client):
    r = await asgi_client.get("/api/v1/ACME/datasets"); assert r.status_code == 200 and r.json() == []
def test_socket(emulator_server):
    r = httpx.get(emulator_server.base_url + "/api/v1/ACME/datasets"); assert r.json() == []
