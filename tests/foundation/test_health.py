import pytest

from resource import create_app as create_resource_app


def test_auth_healthz_and_readyz(auth_app):
    client = auth_app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok"}


def test_auth_readyz_reports_an_unreachable_database(tmp_path):
    from authserver import create_app
    from shared.config import Config

    config = Config.from_env(
        environ={}, instance_path=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    app = create_app(config)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unavailable"


@pytest.mark.parametrize("path", ["/no-such-page", "/healthz/deeper"])
def test_unknown_paths_get_json_not_html(auth_app, path):
    response = auth_app.test_client().get(path)
    assert response.status_code == 404
    assert response.is_json


def test_unhandled_errors_are_json_without_a_traceback(auth_app):
    @auth_app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    auth_app.testing = False
    response = auth_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.json["error"] == "server_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_resource_errors_use_the_openai_shape(tmp_path):
    from shared.config import Config

    app = create_resource_app(Config.from_env(environ={}, instance_path=tmp_path))
    response = app.test_client().get("/nope")
    assert response.status_code == 404
    assert set(response.json["error"]) >= {"message", "type", "code"}
