import pytest

from portal import create_app
from portal.config import DEFAULT_SECRET_KEY, ConfigError, connection_settings, settings_from_env


@pytest.mark.parametrize("key", [None, "", DEFAULT_SECRET_KEY, "te-kort"])
def test_production_refuses_missing_default_or_short_secret_key(monkeypatch, key):
    monkeypatch.setenv("PORTAL_ENV", "production")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    app = create_app()
    assert app.config["ENV_NAME"] == "production"


def test_embedded_default_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    settings = settings_from_env()
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings["MAIL_DIR"] == tmp_path / "mail"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_database_url_selects_psycopg3(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert settings_from_env()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_servers_that_do_not_answer_cost_seconds_not_minutes(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example:5432/portal")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://cache.example:6379/1")
    settings = settings_from_env()
    connection_settings(settings)
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True,  # a connection the server dropped is replaced at checkout
        "connect_args": {"connect_timeout": 2},
    }
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {
        "wrap_exceptions": True,
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    assert settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"]

    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "5")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    settings = settings_from_env()
    connection_settings(settings)
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 5}
    assert settings["RATELIMIT_STORAGE_OPTIONS"] == {"wrap_exceptions": True}


def test_storage_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    for name in ("STORAGE_BACKEND", "S3_BUCKET", "S3_PREFIX", "UPLOAD_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_from_env()
    assert settings["STORAGE_BACKEND"] == "local" and settings["UPLOAD_DIR"] == tmp_path / "uploads"
    monkeypatch.setenv("STORAGE_BACKEND", " S3 ")
    monkeypatch.setenv("S3_BUCKET", "mvi-bijlagen")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://s3.example.nl")
    monkeypatch.setenv("S3_REGION", "eu-west-1")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "sleutel")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "geheim")
    monkeypatch.setenv("S3_PREFIX", "portal/")
    settings = settings_from_env()
    assert {key: settings[key] for key in settings if key.startswith(("S3_", "STORAGE_"))} == {
        "STORAGE_BACKEND": "s3", "S3_BUCKET": "mvi-bijlagen",
        "S3_ENDPOINT_URL": "https://s3.example.nl", "S3_REGION": "eu-west-1",
        "S3_ACCESS_KEY_ID": "sleutel", "S3_SECRET_ACCESS_KEY": "geheim", "S3_PREFIX": "portal/",
    }  # fmt: skip


def test_an_unknown_storage_backend_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ConfigError, match="STORAGE_BACKEND"):
        create_app()
