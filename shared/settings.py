"""Process settings from the environment: where the database and Redis are, and secrets.

Everything a user edits about *what* to watch lives in the YAML config (``shared.config``);
this class holds only *where things run*, so it can come from compose env files.
Built lazily by ``get_settings()``: importing this module does no work.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("data") / "newswatch.db"
DEFAULT_CONFIG_PATH = Path("newswatch.yaml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    config_path: Path | None = Field(default=None, alias="NEWSWATCH_CONFIG")
    data_dir: Path = Field(default=Path("data"), alias="NEWSWATCH_DATA_DIR")
    allow_private_networks: bool | None = Field(
        default=None, alias="NEWSWATCH_ALLOW_PRIVATE_NETWORKS"
    )
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")

    # Signed feedback links in alerts: the key signs them, the public URL is where the web view
    # answers them (both unset: alerts carry no feedback link).
    secret_key: SecretStr | None = Field(default=None, alias="NEWSWATCH_SECRET_KEY")
    public_url: str | None = Field(default=None, alias="NEWSWATCH_PUBLIC_URL")
    feedback_link_days: float = Field(default=30.0, gt=0, alias="NEWSWATCH_FEEDBACK_LINK_DAYS")

    # The web view (`newswatch web`): the access token every page then requires; mandatory
    # before it may listen on anything but loopback.
    web_token: SecretStr | None = Field(default=None, alias="NEWSWATCH_WEB_TOKEN")

    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int | None = Field(default=None, alias="SMTP_PORT")
    smtp_username: str | None = Field(default=None, alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_from: str = Field(default="newswatch@localhost", alias="SMTP_FROM")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(default="none", alias="SMTP_TLS")
    smtp_timeout: float = Field(default=30.0, alias="SMTP_TIMEOUT")

    def resolved_database_url(self) -> str:
        """``DATABASE_URL`` or the embedded SQLite file under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'newswatch.db').as_posix()}"

    def resolved_config_path(self, override: Path | None = None) -> Path:
        return override or self.config_path or DEFAULT_CONFIG_PATH


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
