"""A simulated SMS gateway (短信平台), for demos, end-to-end tests and failure drills.

It keeps the provider contract of ``integrations.sms``: verifies the signed request, checks the
template and its parameters, answers with a message id (BizId), treats a repeated ``out_id`` as
the same message (same id, ``Idempotent-Replayed: true``, not delivered twice), "delivers" to
the handset and posts a signed delivery receipt to the receipt URL. It can be told to misbehave
— ``down`` (503), ``reject`` (refuse every message), ``fail_receipts`` (report every delivery as
failed) — so that 12345's outbox and receipt handling can be seen to cope.

``hotline simsms`` runs it with the hotline's own SMS settings; state lives in memory on one
event loop (every mutation between awaits, so no locks).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.signing import REPLAYED_HEADER, SignatureError, sign, verify
from integrations.sms import (
    TEMPLATES,
    Receipt,
    ReceiptStatus,
    SmsAnswer,
    SmsRequest,
    receipt_body,
    render,
    template_params,
)


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    secret: str = Field(min_length=1, description="the account key 12345 signs its requests with")
    receipt_secret: str = Field(min_length=1, description="what we sign receipts with")
    receipt_url: str | None = None
    receipt_delay_ms: int = Field(default=100, ge=0, le=600_000)
    tolerance_s: int = Field(default=300, ge=1)


class GatewayMode(BaseModel):
    """Failure modes, set with ``POST /control/mode`` (fields not given are off)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    down: bool = Field(default=False, description="answer every send with 503 + Retry-After")
    reject: bool = Field(default=False, description="refuse every message (isv.BLACK_KEY_CONTROL_LIMIT)")
    fail_receipts: bool = Field(default=False, description="report every delivery as failed")


def _problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"type": "urn:hotline:simsms", "title": title, "status": status, "detail": detail},
                        status_code=status, headers=headers, media_type="application/problem+json")


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        self.mode = GatewayMode()
        self.messages: dict[str, dict[str, Any]] = {}  # by out_id
        self.stats: Counter[str] = Counter()
        self.ids = itertools.count(1)

    def send(self, headers: Any, body: bytes) -> Response:
        self.stats["requests"] += 1
        if self.mode.down:
            self.stats["refused_down"] += 1
            return _problem(503, "短信平台暂不可用", "simulated outage", {"Retry-After": "1"})
        try:
            verify(self.settings.secret, headers, body, datetime.now(UTC),
                   timedelta(seconds=self.settings.tolerance_s))
        except SignatureError as exc:
            self.stats["rejected_signature"] += 1
            return _problem(401, "签名校验失败", str(exc))
        try:
            req = SmsRequest.model_validate_json(body)
        except ValidationError as exc:
            self.stats["rejected_invalid"] += 1
            return JSONResponse({"code": "isv.INVALID_PARAMETERS", "message": str(exc)[:300]})
        if req.out_id in self.messages:
            self.stats["duplicates"] += 1
            first = self.messages[req.out_id]
            answer = SmsAnswer(code="OK", message="OK", biz_id=first["biz_id"], out_id=req.out_id)
            return JSONResponse(answer.model_dump(mode="json"), headers={REPLAYED_HEADER: "true"})
        if req.template_code not in TEMPLATES:
            self.stats["rejected_template"] += 1
            return JSONResponse({"code": "isv.SMS_TEMPLATE_ILLEGAL", "message": "模板不存在或未审核通过"})
        missing = template_params(req.template_code) - set(req.template_param)
        if missing:
            self.stats["rejected_template"] += 1
            return JSONResponse({"code": "isv.TEMPLATE_MISSING_PARAMETERS",
                                 "message": f"模板变量缺失：{sorted(missing)}"})
        if self.mode.reject:
            self.stats["rejected_mode"] += 1
            return JSONResponse({"code": "isv.BLACK_KEY_CONTROL_LIMIT", "message": "号码或内容被拦截"})
        biz_id = f"{datetime.now(UTC):%Y%m%d}^{next(self.ids):010d}"
        record = {
            "biz_id": biz_id, "out_id": req.out_id, "phone_number": req.phone_number,
            "template_code": req.template_code, "template_param": req.template_param,
            "text": render(req.template_code, req.template_param, req.sign_name),
            "accepted_at": datetime.now(UTC).isoformat(), "receipt": None, "receipt_posted": False,
        }
        self.messages[req.out_id] = record
        self.stats["accepted"] += 1
        if self.settings.receipt_url:
            self._spawn(self._report(record, failed=self.mode.fail_receipts))
        answer = SmsAnswer(code="OK", message="OK", biz_id=biz_id, out_id=req.out_id)
        return JSONResponse(answer.model_dump(mode="json"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _report(self, record: dict[str, Any], *, failed: bool) -> None:
        """Post the delivery receipt, with a few retries (the gateway's own, not durable)."""
        assert self.settings.receipt_url
        await asyncio.sleep(self.settings.receipt_delay_ms / 1000)
        receipt = Receipt(
            biz_id=record["biz_id"], out_id=record["out_id"], phone_number=record["phone_number"],
            status=ReceiptStatus.failed if failed else ReceiptStatus.delivered,
            err_code="UNDELIV" if failed else "DELIVRD",
            err_msg="用户手机关机或停机" if failed else None, reported_at=datetime.now(UTC))
        record["receipt"] = receipt.status.value
        body = receipt_body([receipt])
        async with httpx.AsyncClient() as client:
            for attempt in range(5):
                headers = sign(self.settings.receipt_secret, body, datetime.now(UTC), peer="simsms")
                headers["Content-Type"] = "application/json"
                try:
                    r = await client.post(self.settings.receipt_url, content=body, headers=headers, timeout=5)
                    if r.is_success:
                        record["receipt_posted"] = True
                        self.stats["receipts_posted"] += 1
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2 * 2**attempt)
        self.stats["receipts_failed"] += 1


def create_app(settings: GatewaySettings) -> FastAPI:
    gw = Gateway(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for task in list(gw.tasks):
            task.cancel()

    app = FastAPI(title="Simulated SMS gateway (模拟短信平台)", version="1", lifespan=lifespan)
    app.state.gateway = gw

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/sms/send", summary="accept one templated message (signed; out_id is idempotent)")
    async def send(request: Request) -> Response:
        return gw.send(request.headers, await request.body())

    @app.get("/messages", summary="every message accepted, in order (each out_id once)")
    def messages() -> list[dict[str, Any]]:
        return list(gw.messages.values())

    @app.get("/control/mode")
    def get_mode() -> GatewayMode:
        return gw.mode

    @app.post("/control/mode", summary="set the failure modes (fields not given are off)")
    def set_mode(mode: GatewayMode) -> GatewayMode:
        gw.mode = mode
        return gw.mode

    @app.post("/control/reset")
    def reset() -> dict[str, bool]:
        gw.reset()
        return {"ok": True}

    @app.get("/control/stats")
    def stats() -> dict[str, Any]:
        keys = ("requests", "accepted", "duplicates", "refused_down", "rejected_signature",
                "rejected_invalid", "rejected_template", "rejected_mode", "receipts_posted",
                "receipts_failed")
        return {**{k: gw.stats.get(k, 0) for k in keys}, "pending_receipts": len(gw.tasks),
                "mode": gw.mode.model_dump()}

    return app


def serve(port: int, settings: GatewaySettings, *, host: str = "127.0.0.1",
          log_level: str = "warning") -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
