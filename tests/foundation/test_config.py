import stat

import pytest

from shared.config import Config
from shared.config import ConfigError


def test_embedded_defaults_work_out_of_the_box(tmp_path):
    config = Config.from_env(environ={}, instance_path=tmp_path)
    assert config.database_url == f"sqlite:///{tmp_path / 'authserver.sqlite3'}"
    assert config.issuer == "http://127.0.0.1:5000"
    assert config.resource_issuer == config.issuer
    assert config.redis_url is None


def test_generated_secret_key_is_persisted_with_mode_0600(tmp_path):
    first = Config.from_env(environ={}, instance_path=tmp_path).secret_key
    second = Config.from_env(environ={}, instance_path=tmp_path).secret_key
    assert first == second and len(first) >= 48
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_environment_overrides_defaults(tmp_path):
    config = Config.from_env(
        environ={
            "AUTHSERVER_ISSUER": "https://auth.example/",
            "AUTHSERVER_SECRET_KEY": "k",
            "RESOURCE_CACHE_TTL": "0",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
        instance_path=tmp_path,
    )
    assert config.issuer == "https://auth.example"
    assert config.session_cookie_secure
    assert config.secret_key == "k"
    assert config.resource_cache_ttl == 0
    assert not (tmp_path / "secret_key").exists()


def test_a_malformed_number_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="RESOURCE_CACHE_TTL"):
        Config.from_env(environ={"RESOURCE_CACHE_TTL": "soon"}, instance_path=tmp_path)


def test_resource_server_settings_from_the_environment(tmp_path):
    config = Config.from_env(
        environ={
            "RESOURCE_CHAT_BACKEND": "openai",
            "RESOURCE_EMBEDDINGS_BACKEND": "lexical",
            "RESOURCE_OPENAI_BASE_URL": "http://127.0.0.1:8000/v1",
            "RESOURCE_UPSTREAM_TIMEOUT": "2.5",
            "RESOURCE_INTROSPECTION_TIMEOUT": "0.5",
            "RESOURCE_RATE_LIMIT_PER_MINUTE": "0",
            "RESOURCE_LIMITS": '{"c": {"tokens_per_day": 5}}',
            "RESOURCE_USAGE_FLUSH_INTERVAL": "5",
        },
        instance_path=tmp_path,
    )
    assert (config.chat_backend, config.embeddings_backend) == ("openai", "lexical")
    assert (config.upstream_timeout, config.introspection_timeout) == (2.5, 0.5)
    assert config.rate_limit_per_minute == 0 and config.resource_limits == '{"c": {"tokens_per_day": 5}}'
    assert config.usage_flush_interval == 5.0


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_timeouts_must_be_positive_numbers(tmp_path, value):
    with pytest.raises(ConfigError, match="RESOURCE_UPSTREAM_TIMEOUT"):
        Config.from_env(environ={"RESOURCE_UPSTREAM_TIMEOUT": value}, instance_path=tmp_path)


def test_resource_identifiers_are_read_in_canonical_form(tmp_path):
    config = Config.from_env(
        {"RESOURCE_URL": "HTTP://API.Example:5001/", "AUTHSERVER_DEFAULT_RESOURCE": "https://api.example/v1"},
        instance_path=tmp_path,
    )
    assert config.resource_url == "http://api.example:5001"
    assert config.default_resource == "https://api.example/v1"
    assert Config.from_env({}, instance_path=tmp_path).default_resource is None


@pytest.mark.parametrize("value", ["api.example", "https://api.example/#top", "ftp://api.example"])
def test_a_resource_identifier_that_is_no_url_is_a_clear_error(tmp_path, value):
    with pytest.raises(ConfigError, match="AUTHSERVER_DEFAULT_RESOURCE"):
        Config.from_env({"AUTHSERVER_DEFAULT_RESOURCE": value}, instance_path=tmp_path)


def test_trusted_proxy_hops_default_to_none_and_are_applied_to_both_apps(tmp_path):
    from flask import request
    from werkzeug.middleware.proxy_fix import ProxyFix

    from resource import create_app as create_resource_app

    assert Config.from_env(environ={}, instance_path=tmp_path).trusted_proxies == 0
    config = Config.from_env(
        environ={"AUTHSERVER_TRUSTED_PROXIES": "2", "RESOURCE_TRUSTED_PROXIES": "1"},
        instance_path=tmp_path,
        testing=True,
    )
    assert (config.trusted_proxies, config.resource_trusted_proxies) == (2, 1)
    app = create_resource_app(config)
    assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 1 and app.wsgi_app.x_proto == 1
    seen = {}
    app.before_request(lambda: seen.setdefault("addr", request.remote_addr))
    app.test_client().get("/v1/models", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"})
    assert seen["addr"] == "198.51.100.7"
    with pytest.raises(ConfigError, match="AUTHSERVER_TRUSTED_PROXIES"):
        Config.from_env(environ={"AUTHSERVER_TRUSTED_PROXIES": "-1"}, instance_path=tmp_path)
