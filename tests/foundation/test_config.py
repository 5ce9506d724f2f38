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
