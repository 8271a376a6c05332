"""One log format for every process: ``key=value`` lines with time, level, logger, request id.

Measured before this: ``hotline.*`` INFO lines were dropped, warnings carried no time or level,
``HOTLINE_LOG_LEVEL`` reached uvicorn only, and workers wrote four "Job OK" lines per job. Now
``configure()`` (called by ``create_app`` and the ``worker``/``cron`` commands) installs one
handler on the root logger, sets the product's loggers and the servers' to the configured level,
and keeps RQ's per-job chatter at WARNING (each job logs its own outcome, ``hotline.jobs``).
Every line passes through ``redact``: the values of the configured secrets and the database
password never reach a log, whatever a message or a traceback contains.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from hotline.core.settings import get_settings

#: The request being served (``X-Request-ID``), "-" outside a request.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
PRODUCT_LOGGERS = ("hotline", "uvicorn", "uvicorn.error", "uvicorn.access", "rq", "alembic")
_SECRET_ENV = re.compile(r"SECRET|PASSWORD|API_KEY|TOKEN", re.IGNORECASE)
_BARE = re.compile(r"^[^\s\"=]+$")
_secrets: list[str] = []


def _secret_values() -> list[str]:
    found = {v for k, v in os.environ.items() if k.startswith("HOTLINE_") and _SECRET_ENV.search(k)
             and len(v) >= 4}
    s = get_settings()
    for value in (s.secret_key, s.notify_webhook_secret, s.sms_api_key):
        if value and len(value) >= 4:
            found.add(value)
    try:
        password = make_url(s.database_url).password
    except Exception:
        password = None
    if password and len(str(password)) >= 4:
        found.add(str(password))
    return sorted(found, key=len, reverse=True)  # longest first: no partial leftovers


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _quote(value: str) -> str:
    return value if value and _BARE.match(value) else '"' + value.replace("\\", "\\\\").replace(
        '"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """``time=… level=… logger=… request_id=… msg="…"`` (+ ``exc="…"``), one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [f"time={when.replace('+00:00', 'Z')}", f"level={record.levelname}",
                 f"logger={record.name}", f"request_id={request_id.get()}",
                 f"msg={_quote(redact(record.getMessage()))}"]
        if record.exc_info:
            parts.append(f"exc={_quote(redact(self.formatException(record.exc_info)))}")
        return " ".join(parts)


class _Handler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (whatever replaced it since); marks our handler, so
    configuring twice (app factory + CLI) installs it once."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure(level: str | None = None) -> None:
    """Install the one handler and the levels; idempotent."""
    _secrets[:] = _secret_values()
    name = (level or get_settings().log_level).upper()
    root = logging.getLogger()
    if not any(isinstance(h, _Handler) for h in root.handlers):
        handler = _Handler()
        handler.setFormatter(KeyValueFormatter())
        root.addHandler(handler)
    root.setLevel(max(logging.getLevelName(name), logging.INFO) if name != "DEBUG" else logging.DEBUG)
    for logger in PRODUCT_LOGGERS:
        logging.getLogger(logger).setLevel(name)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per peer call otherwise
    if name != "DEBUG":
        # RQ's "Job OK" / "Result is kept" lines: each job logs its outcome itself.
        logging.getLogger("rq.worker").setLevel(max(logging.WARNING, logging.getLevelName(name)))
