from fastapi.testclient import TestClient


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
