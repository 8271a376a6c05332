"""Runtime settings, read from ``HOTLINE_*`` environment variables.

Defaults run the embedded demo (SQLite under ``./var``, no Redis) so that ``make run`` works on a
fresh machine; anything else must say so explicitly, and a non-demo deployment refuses to start
with the shipped secret.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import sla

DEFAULT_SECRET = "demo-secret-change-me-not-for-production"
#: Outside demo mode the token-signing key must be at least this long (HS256 wants ≥ 256 bits).
MIN_SECRET_CHARS = 32
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


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
    inbox_refresh_seconds: int = Field(
        default=60, ge=2, le=3600, description="how often a unit's inbox page fetches new tickets"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    holiday_table: Path | None = Field(
        default=None, description="CSV date,kind,name overriding/adding statutory holidays"
    )
    sla_policy_file: Path | None = Field(default=None, description="TOML deadline policies")
    sla_policy_name: str = "default"
    legal_deadlines_file: Path | None = Field(
        default=None, description="CSV name,working_days,citation of statutory limits (CQ §13(四))"
    )
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
    sms_receipt_secret: str | None = Field(
        default=None, description="the gateway's key: verifies its delivery-receipt callbacks")
    sms_quiet_hours: str = Field(
        default="21:00-08:00", pattern=r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
        description="no SMS to callers in these local hours (queued until they end); equal = none")
    sms_max_attempts: int = Field(
        default=20, ge=1, le=100, description="SMS tries before giving up (back-off capped at 15 min: ~4 h)")
    sms_interval_seconds: int = Field(
        default=30, ge=0, description="caller SMS outbox period; 0 = only the kick after each commit")
    public_lookup_hint: str = Field(
        default="12345网站“办件查询”", max_length=40,
        description="where callers look their ticket up (said in the registration SMS)")
    gazetteer_file: Path | None = Field(
        default=None, description="CSV code,name,level,parent,aliases of the city's places"
    )
    catalogue_file: Path | None = Field(
        default=None, description="CSV dispatch catalogue (派单目录) used until an admin edits it"
    )
    content_max_chars: int = Field(default=4000, description="longest accepted request text")
    deadline_horizon_days: int = Field(
        default=366, ge=1, le=3650, description="a deadline a person sets lies at most this far ahead")
    login_failures_per_user: int = Field(
        default=5, ge=1, description="wrong passwords per window before an account's sign-in pauses")
    login_failures_per_client: int = Field(
        default=20, ge=1, description="wrong passwords per window before a client address is refused")
    login_window_seconds: int = Field(default=900, ge=1, description="the sign-in limits' window")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="larger request bodies are refused with 413 unread")
    web_workers: int = Field(default=1, ge=1, le=64, description="API processes of `hotline serve`")
    max_concurrent_requests: int = Field(
        default=16, ge=1, le=256,
        description="requests one API process works on at once (each holds one DB connection)")
    max_queued_requests: int = Field(
        default=1000, ge=0, description="requests waiting beyond those; more are answered 503 at once")
    queue_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a request waiting longer for its turn is answered 503")
    keepalive_max_requests: int = Field(
        default=100, ge=0,
        description="a keep-alive connection is closed after this many requests, so clients "
                    "reconnect and the load spreads over the API processes again (0: never)")
    kb_review_months: int = Field(
        default=12, ge=1, le=120,
        description="a published knowledge entry not reviewed for this many months is flagged stale")
    report_refresh_seconds: int = Field(
        default=300, ge=10, le=86400,
        description="the monthly evaluation on the board and the report page is recomputed this "
                    "often (and at most this old when shown)")
    hotspots_refresh_seconds: int = Field(
        default=60, ge=10, le=3600,
        description="the board's hotspots are recomputed this often (a view computes them "
                    "itself only when they are twice as old)")
    model_dir: Path = Field(default=Path("var/models"), description="classifier registry root")
    # Security (issue 15, findings 6–9).
    trusted_proxies: str = Field(
        default="", description="comma-separated proxy addresses/CIDRs whose X-Forwarded-* count")
    api_docs: bool | None = Field(
        default=None, description="serve /docs, /redoc, /openapi.json; unset = only in demo mode")
    hsts_seconds: int = Field(default=31536000, ge=0, description="HSTS max-age on HTTPS; 0 = none")
    audit_key: str | None = Field(
        default=None, description="HMAC key of the event hash chain; unset = derived from secret_key")
    idempotency_hours: int = Field(
        default=24, ge=1, description="how long an Idempotency-Key's answer is kept for replay")

    @property
    def api_docs_enabled(self) -> bool:
        return self.demo_mode if self.api_docs is None else self.api_docs
    # i14b: CQ §13(二) co-units, §14 visits, §26 caller flags.
    co_unit_working_days: int = Field(
        default=5, ge=1, le=60, description="working days a co-unit has to give its input")
    satisfaction_excluded_keywords: str = Field(
        default="调解,执法,行政处罚,行政复议,仲裁",
        description="category words that mark mediation / enforcement matters (CQ §14)")
    similar_window_days: int = Field(
        default=14, ge=1, le=90,
        description="days back the console looks for tickets on the same matter at the same place (并单)")
    close_without_visit_attempts: int = Field(
        default=3, ge=1, le=10, description="failed visit attempts before closing without one")
    caller_flag_days: int = Field(
        default=90, ge=1, le=730, description="days an approved abusive-caller flag lasts")
    peers_file: Path | None = Field(
        default=None, description="the peer platforms (read by integrations.load_peers_from_env)")
    log_level: str = Field(default="info", description="debug / info / warning / error / critical")

    # A bad value stops the process at start (hotline.preflight), never a live call later.
    @field_validator("escalate_after")
    @classmethod
    def _escalate_after_is_a_duration(cls, v: str) -> str:
        try:
            sla.Duration.parse(v)
        except ValueError:
            raise ValueError(
                f"{v!r} 不是时限格式，应写成 2wd（工作日）、24wh（工作小时）、8h 或 3d") from None
        return v

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, v: str) -> str:
        if v.lower() not in LOG_LEVELS:
            raise ValueError(f"{v!r} 不是日志级别，应为 {' / '.join(LOG_LEVELS)} 之一")
        return v.lower()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, v: str) -> str:
        if not v.startswith(("sqlite://", "postgresql")):
            raise ValueError("只支持 sqlite:///路径 或 postgresql+psycopg://用户@主机/库")
        return v

    def check_safe(self) -> None:
        """Refuse a non-demo deployment that still uses the shipped secret or a short one."""
        if not self.demo_mode and self.secret_key == DEFAULT_SECRET:
            raise InsecureSettingsError(
                "HOTLINE_SECRET_KEY 仍是演示默认值：非演示模式下必须设置自己的密钥 "
                "(refusing to start outside demo mode with the default secret)"
            )
        if not self.demo_mode and len(self.secret_key) < MIN_SECRET_CHARS:
            raise InsecureSettingsError(
                f"HOTLINE_SECRET_KEY 太短（{len(self.secret_key)} 个字符）：非演示模式下至少 "
                f"{MIN_SECRET_CHARS} 个随机字符")


@lru_cache
def get_settings() -> Settings:
    return Settings()
