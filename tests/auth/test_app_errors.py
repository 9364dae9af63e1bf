from fastapi.testclient import TestClient

from functions.auth import deps
from functions.auth.app import app
from livequiz.config import Settings, get_settings


def test_openapi_documents_error_envelope(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    register = schema["paths"]["/auth/register"]["post"]["responses"]
    assert "422" not in register
    assert register["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_malformed_json_body_names_the_problem(client: TestClient) -> None:
    response = client.post(
        "/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("the request body is not valid JSON: ")


def test_server_error_keeps_cors_headers() -> None:
    """A 500 carries the CORS headers, so the browser lets the page read it."""
    origin = "http://127.0.0.1:8080"
    assert origin in get_settings().cors_origin_list()

    def fail() -> Settings:
        raise RuntimeError("settings failed in a test")

    app.dependency_overrides[deps.settings] = fail
    try:
        with TestClient(app, raise_server_exceptions=False) as raw:
            response = raw.post(
                "/auth/login",
                json={"email": "a@example.com", "password": "x"},
                headers={"origin": origin},
            )
    finally:
        app.dependency_overrides.pop(deps.settings, None)
    assert response.status_code == 500
    assert response.headers.get("access-control-allow-origin") == origin
    assert response.json()["error"]["code"] == "internal_error"
