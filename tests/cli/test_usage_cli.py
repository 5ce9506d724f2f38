from authserver.clients.services import register_client
from authserver.usage.visibility import saw_token


def test_usage_report_aggregates_per_client_and_user(cli, auth_app):
    with auth_app.app_context():
        resource = register_client(name="RS", resource_server=True)
        app = register_client(name="Partner app")
    records = [
        {
            "client_id": app.client.client_id,
            "user_sub": "alice",
            "endpoint": "chat.completions",
            "model": "demo-chat",
            "tokens_in": 3,
            "tokens_out": 5,
        },
        {
            "client_id": app.client.client_id,
            "user_sub": "alice",
            "endpoint": "embeddings",
            "model": "lexical-hash-384",
            "tokens_in": 2,
            "tokens_out": 0,
            "requests": 4,
        },
        {
            "client_id": app.client.client_id,
            "user_sub": None,
            "endpoint": "models",
            "model": None,
            "tokens_in": 0,
            "tokens_out": 0,
        },
        {"client_id": "gone", "user_sub": "bob", "endpoint": "me", "model": None, "tokens_in": 0, "tokens_out": 0},
    ]
    auth = (resource.client.client_id, resource.client_secret)
    with auth_app.app_context():  # what introspecting their tokens would have marked
        for record in records:
            saw_token(resource.client.id, record["client_id"], record["user_sub"])
    assert auth_app.test_client().post("/internal/usage", json={"records": records}, auth=auth).status_code == 202

    report = {row["client_id"]: row for row in cli.ok("usage", "report", "--json").json}
    partner = report[app.client.client_id]
    assert (partner["name"], partner["requests"], partner["tokens_in"], partner["tokens_out"]) == (
        "Partner app",
        6,
        5,
        5,
    )  # a record that stands for four calls counts four requests
    assert partner["users"] == [{"user_sub": "alice", "requests": 5, "tokens_in": 5, "tokens_out": 5}]
    assert report["gone"]["name"] is None and report["gone"]["users"][0]["user_sub"] == "bob"
    only = cli.ok("usage", "report", "--client", "gone", "--json").json
    assert [row["client_id"] for row in only] == ["gone"]
    assert "Partner app" in cli.ok("usage", "report").out


def test_usage_report_on_an_empty_database(cli):
    assert cli.ok("usage", "report", "--json").json == []
    assert cli.ok("usage", "report").out.strip() == "no usage recorded"


def test_usage_report_for_an_unknown_client_is_an_error(cli, auth_app):
    with auth_app.app_context():
        app = register_client(name="Quiet app")
    assert cli.ok("usage", "report", "--client", app.client.client_id, "--json").json == []
    result = cli("usage", "report", "--client", "nosuch")
    assert result.code != 0 and result.err == "error: no client with id 'nosuch'\n"
