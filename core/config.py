"""One settings object for the whole app, read from the environment and secrets."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SecretsTomlSource(PydanticBaseSettingsSource):
    """Reads `DATABASE_URL` (and friends) from `.streamlit/secrets.toml`.

    Streamlit looks for secrets in the working directory's `.streamlit/`; we look
    there and in the project root, so the CLI and the app agree.
    """

    def _read(self) -> dict[str, Any]:
        for folder in (Path.cwd(), PROJECT_ROOT):
            path = folder / ".streamlit" / "secrets.toml"
            if path.is_file():
                try:
                    with path.open("rb") as fh:
                        return tomllib.load(fh)
                except (OSError, tomllib.TOMLDecodeError) as exc:
                    raise ValueError(f"{path}: cannot read secrets ({exc})") from exc
        return {}

    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        data = self._read()
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            for key in (name.upper(), name):
                if key in data and not isinstance(data[key], dict):
                    values[name] = data[key]
                    break
        return values


class Settings(BaseSettings):
    """Where the data lives and how the app behaves; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; overrides the embedded SQLite file."
    )
    tracker_sqlite_path: Path = Field(
        default=PROJECT_ROOT / "var" / "tracker.db",
        description="The embedded SQLite file used when DATABASE_URL is not set.",
    )
    tracker_data_dir: Path = Field(
        default=PROJECT_ROOT / "data", description="Folder holding plan.yaml and logic_models/."
    )
    tracker_busy_timeout_ms: int = Field(default=15_000, ge=0)
    tracker_today: date | None = Field(
        default=None, description="Pin 'today' (demos, screenshots, tests); defaults to the clock."
    )
    tracker_private: bool = Field(
        default=False, description="Require sign-in even to read the dashboard."
    )
    tracker_backup_key: SecretStr | None = Field(
        default=None,
        description="The key backups are signed with (HMAC-SHA256) and checked against on "
        "restore; at least 32 characters (README, Security: Backups and history).",
    )
    tracker_session_idle_days: float = Field(
        default=14,
        gt=0,
        description="Days a signed-in browser stays signed in without being used "
        "(README: Staying signed in).",
    )
    tracker_trusted_proxy_header: str | None = Field(
        default=None,
        description="Header (e.g. X-Forwarded-For) whose last address is the client's, "
        "set by the one reverse proxy in front of the app; unset: the connection's address.",
    )
    # ---- mail (README, "Reminders by e-mail") ----
    tracker_smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://user:password@host:587 (STARTTLS) or smtps://…:465 (implicit "
        "TLS); digests and the e-mailed report are sent through it.",
    )
    tracker_mail_from: str | None = Field(
        default=None, description="The From address of digests and reports."
    )
    tracker_base_url: str | None = Field(
        default=None,
        description="The app's address as people open it (https://tracker.example.org), "
        "for the links in e-mails.",
    )
    tracker_secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the unsubscribe links in digests (HMAC-SHA256); at least 32 "
        "characters. Unset: TRACKER_BACKUP_KEY is used.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls,
        init_settings,
        env_settings,
        dotenv_settings,
        file_secret_settings,
    ):
        return (init_settings, env_settings, SecretsTomlSource(settings_cls))

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.tracker_sqlite_path}"

    def today(self) -> date:
        return self.tracker_today or date.today()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
