"""Runtime settings, read from ``HOTLINE_*`` environment variables.

Defaults run the embedded demo (SQLite under ``./var``, no Redis) so that ``make run`` works on a
fresh machine; anything else must say so explicitly, and a non-demo deployment refuses to start
with the shipped secret.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "demo-secret-change-me-not-for-production"


class InsecureSettingsError(RuntimeError):
    """Raised when a production deployment would run with the demo secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/hotline.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema (search_path) to use; tests isolate by it"
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:6379/0; empty = embedded mode, jobs run in-process"
    )
    demo_mode: bool = Field(default=True, description="seeded demo city, printed demo passwords")
    secret_key: str = Field(default=DEFAULT_SECRET, description="signs access tokens")
    token_minutes: int = Field(default=12 * 60, description="access token lifetime")
    host: str = "127.0.0.1"
    port: int = 8000
    holiday_table: Path | None = Field(
        default=None, description="CSV date,kind,name overriding/adding statutory holidays"
    )
    sla_policy_file: Path | None = Field(default=None, description="TOML deadline policies")
    sla_policy_name: str = "default"
    escalate_after: str = Field(
        default="2wd", description="overdue this long (sla duration) → escalate to the next level"
    )
    rework_escalation_count: int = Field(default=3, description="reworks that escalate supervision")
    scan_interval_seconds: int = Field(default=60, ge=1, description="SLA scan period")
    relay_interval_seconds: int = Field(
        default=10, ge=0,
        description="outbox relay period; 0 = no timer (the kick after each commit, and reconcile)")
    embedded_jobs: bool = Field(
        default=True, description="without Redis, run the periodic jobs on a timer in the server"
    )
    notify_webhook_url: str | None = Field(
        default=None, description="POST every notification here as JSON (Idempotency-Key)"
    )
    notify_webhook_secret: str | None = Field(default=None, description="HMAC key for webhooks")
    sms_gateway_url: str | None = Field(default=None, description="SMS gateway endpoint")
    sms_api_key: str | None = Field(default=None, description="SMS gateway credential")
    sms_sign_name: str | None = Field(default=None, description="SMS signature (签名)")
    gazetteer_file: Path | None = Field(
        default=None, description="CSV code,name,level,parent,aliases of the city's places"
    )
    catalogue_file: Path | None = Field(
        default=None, description="CSV dispatch catalogue (派单目录) used until an admin edits it"
    )
    content_max_chars: int = Field(default=4000, description="longest accepted request text")
    web_workers: int = Field(default=1, ge=1, le=64, description="API processes of `hotline serve`")
    max_concurrent_requests: int = Field(
        default=16, ge=1, le=256,
        description="requests one API process works on at once (each holds one DB connection)")
    max_queued_requests: int = Field(
        default=1000, ge=0, description="requests waiting beyond those; more are answered 503 at once")
    queue_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a request waiting longer for its turn is answered 503")
    kb_review_months: int = Field(
        default=12, ge=1, le=120,
        description="a published knowledge entry not reviewed for this many months is flagged stale")
    model_dir: Path = Field(default=Path("var/models"), description="classifier registry root")
    log_level: str = "info"

    def check_safe(self) -> None:
        """Refuse a non-demo deployment that still uses the shipped secret."""
        if not self.demo_mode and self.secret_key == DEFAULT_SECRET:
            raise InsecureSettingsError(
                "HOTLINE_SECRET_KEY 仍是演示默认值：非演示模式下必须设置自己的密钥 "
                "(refusing to start outside demo mode with the default secret)"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
