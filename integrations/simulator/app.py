"""A stand-in for the city 110 platform, for demos, end-to-end tests and failure drills.

It does what SH 二(二)1 asks of the real one on the wire — receives 工单 and 警单, acknowledges
with its own 接警单号, reports back along the way (受理反馈闭环) and hands non-police matters to
12345 — and it can be told to misbehave (down, slow, 500, duplicate or shuffled callbacks) so
that 12345's outbox, relay and inbound webhook can be seen to cope.

State lives in memory in one event loop: every mutation happens on the loop thread, between
awaits, so no locks are needed. Outbound HTTP uses ``integrations.client.send`` in a thread,
so the simulator signs and classifies exactly like 12345 does.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from integrations.backoff import next_attempt_delay
from integrations.client import SendResult, send
from integrations.messages import (
    FOLLOW_UP_KINDS,
    TRANSFER_KINDS,
    Ack,
    Envelope,
    MessageError,
    MessageKind,
    PoliceOrder,
    TicketTransfer,
)
from integrations.peers import PeerConfig
from integrations.signing import REPLAYED_HEADER, SignatureError, verify
from integrations.simulator import triage
from integrations.simulator.settings import SimulatorMode, SimulatorSettings

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Alarm:
    """One matter received from 12345 (or a feedback message about one of our pushes)."""

    alarm_number: str
    envelope: Envelope
    ack: Ack
    police: bool
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    #: 催办/督办, 撤单 and 补充信息 12345 sent later about this matter (schema v2).
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False

    def public(self) -> dict[str, Any]:
        payload: Any = self.envelope.payload
        return {
            "alarm_number": self.alarm_number,
            "message_id": str(self.envelope.message_id),
            "kind": self.envelope.kind.value,
            "schema_version": self.envelope.schema_version,
            "sender": self.envelope.sender,
            "correlation_id": self.envelope.correlation_id,
            "received_at": self.ack.received_at.isoformat(),
            "police_matter": self.police,
            "content": getattr(payload, "content", None),
            # every field as it arrived, so a drill can see what 12345 sent at which version
            "record": payload.model_dump(mode="json", exclude_none=True),
            "callbacks": self.callbacks,
            "follow_ups": self.follow_ups,
            "cancelled": self.cancelled,
        }


class PushRequest(BaseModel):
    """A non-police call 110 hands to 12345 (SH 二(一)2)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    address: str | None = Field(default=None, max_length=200)
    caller_phone: str = "13800000000"
    caller_name: str | None = None
    kind: MessageKind = MessageKind.ticket_transfer


def _problem(
    status: int, kind: str, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """RFC 9457 problem details, with a Chinese title a person can act on."""
    body = {"type": f"urn:hotline:sim110:{kind}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


class Simulator:
    """The state and behaviour behind the HTTP routes."""

    def __init__(self, settings: SimulatorSettings, clock: Clock = _utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.rng = random.Random(settings.seed)
        self.http = httpx.Client()
        self.tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        self.mode = SimulatorMode()
        self.alarms: dict[str, Alarm] = {}  # by message_id
        self.feedback: list[dict[str, Any]] = []
        self.pushes: list[dict[str, Any]] = []
        self.stats: Counter[str] = Counter()
        self.numbers = itertools.count(1)

    # --- identities ---------------------------------------------------------------------

    def next_alarm_number(self) -> str:
        """``J`` + region code + local date + a 5-digit serial, like a 接警单号."""
        day = (self.clock() + timedelta(hours=8)).strftime("%Y%m%d")
        return f"J{self.settings.region_code}{day}{next(self.numbers):05d}"

    def peer_12345(self, url: str) -> PeerConfig:
        s = self.settings
        return PeerConfig(
            code=s.peer_code, name="12345", base_url=url, inbound_path="", secret=SecretStr(s.secret),
            timeout_s=s.callback_timeout_s, connect_timeout_s=min(3.0, s.callback_timeout_s),
            max_attempts=s.callback_attempts, message_mapping=s.mapping,
            schema_version=s.schema_version,
        )

    # --- inbound ------------------------------------------------------------------------

    async def inbound(self, request: Request) -> Response:
        self.stats["requests"] += 1
        if self.mode.down:
            self.stats["refused_down"] += 1
            return _problem(503, "down", "110平台暂不可用", "simulated outage", headers={"Retry-After": "1"})
        if self.mode.http500:
            self.stats["http500"] += 1
            return _problem(500, "internal", "110平台内部错误", "simulated failure")
        body = await request.body()
        slow_ms = self.mode.slow_ms
        response = self._handle(request, body)
        if slow_ms:
            # Work done, answer late: the sender times out although the message arrived, which is
            # exactly the case the Idempotency-Key exists for.
            await asyncio.sleep(slow_ms / 1000)
        return response

    def _handle(self, request: Request, body: bytes) -> Response:
        """Verify, parse, deduplicate and record one delivery (synchronous: no await inside,
        so the check-then-insert on ``alarms`` cannot interleave with another request)."""
        try:
            verified = verify(
                self.settings.peer_secret, request.headers, body, self.clock(),
                timedelta(seconds=self.settings.tolerance_s),
            )
        except SignatureError as exc:
            self.stats["rejected_signature"] += 1
            return _problem(401, type(exc).__name__, "签名校验失败", str(exc))
        try:
            envelope = self.settings.mapping.parse(body)
        except MessageError as exc:
            self.stats["rejected_invalid"] += 1
            return _problem(422, "invalid-message", "报文格式不符合约定", str(exc), errors=exc.errors)
        if verified.idempotency_key != str(envelope.message_id):
            self.stats["rejected_invalid"] += 1
            return _problem(400, "idempotency-key", "幂等键与报文编号不一致",
                            f"Idempotency-Key {verified.idempotency_key!r} != {envelope.message_id}")
        if verified.peer != envelope.sender or envelope.sender != self.settings.peer_code:
            self.stats["rejected_invalid"] += 1
            detail = f"peer header {verified.peer!r}, sender {envelope.sender!r}"
            return _problem(403, "peer", "发送方不符", detail)

        key = str(envelope.message_id)
        if key in self.alarms:
            self.stats["duplicates"] += 1
            return self._ack_response(self.alarms[key].ack, replayed=True)
        if envelope.kind in FOLLOW_UP_KINDS:
            return self._follow_up(envelope)
        if envelope.kind not in TRANSFER_KINDS:
            return self._feedback(envelope)

        payload: Any = envelope.payload
        text = payload.content
        number = self.next_alarm_number()
        ack = Ack(message_id=envelope.message_id, peer_id=number, received_at=self.clock(),
                  schema_version=envelope.schema_version)
        alarm = Alarm(number, envelope, ack, police=triage.is_police_matter(text))
        self.alarms[key] = alarm
        self.stats["received"] += 1
        if self.settings.callback_url:
            self._spawn(self._timeline(alarm, self.mode))
        return self._ack_response(ack, replayed=False)

    def _feedback(self, envelope: Envelope) -> Response:
        """12345 reporting on a matter we pushed to it: record it, acknowledge it."""
        payload: Any = envelope.payload
        ack = Ack(message_id=envelope.message_id, peer_id=payload.ref, received_at=self.clock(),
                  schema_version=envelope.schema_version)
        # Store under the message id too, so a repeat is answered with the same ack.
        self.alarms[str(envelope.message_id)] = Alarm(payload.ref, envelope, ack, police=False)
        self.feedback.append({"kind": envelope.kind.value, "ref": payload.ref, "seq": payload.seq,
                              "correlation_id": envelope.correlation_id,
                              "schema_version": envelope.schema_version,
                              "record": payload.model_dump(mode="json", exclude_none=True)})
        self.stats["feedback_received"] += 1
        return self._ack_response(ack, replayed=False)

    def _follow_up(self, envelope: Envelope) -> Response:
        """12345 pressing, withdrawing or adding to a matter it handed us (schema v2): kept on
        that matter; a withdrawn one gets no more callbacks."""
        alarm = next((a for a in self.alarms.values() if a.envelope.kind in TRANSFER_KINDS
                      and a.envelope.sender == envelope.sender
                      and a.envelope.correlation_id == envelope.correlation_id), None)
        if alarm is None:
            self.stats["rejected_invalid"] += 1
            return _problem(422, "unknown-matter", "未找到对应的警情",
                            f"no matter {envelope.correlation_id!r} from {envelope.sender}")
        payload: Any = envelope.payload
        ack = Ack(message_id=envelope.message_id, peer_id=alarm.alarm_number, received_at=self.clock(),
                  schema_version=envelope.schema_version)
        self.alarms[str(envelope.message_id)] = Alarm(alarm.alarm_number, envelope, ack, police=False)
        alarm.follow_ups.append({"kind": envelope.kind.value, "message_id": str(envelope.message_id),
                                 "record": payload.model_dump(mode="json", exclude_none=True)})
        if envelope.kind is MessageKind.cancel:
            alarm.cancelled = True
        self.stats["follow_ups_received"] += 1
        return self._ack_response(ack, replayed=False)

    def _ack_response(self, ack: Ack, *, replayed: bool) -> Response:
        body = self.settings.mapping.encode(ack.model_dump(mode="json"))
        headers = {REPLAYED_HEADER: "true"} if replayed else {}
        return JSONResponse(body, status_code=200 if replayed else 202, headers=headers)

    # --- outbound -----------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _callbacks_for(self, alarm: Alarm) -> list[Envelope]:
        """The whole timeline of one matter, numbered: the seq is what lets 12345 order them."""
        s, original = self.settings, alarm.envelope
        payload: Any = original.payload
        start = self.clock()
        step = timedelta(milliseconds=max(s.step_delay_ms, 1))
        unit = "浦东公安分局陆家嘴派出所"
        # Schema v2 fields (left out on the wire when 12345 is configured at version 1).
        who = {"officer": "王建国", "officer_code": "031528", "unit_code": "310115550000",
               "case_number": f"A{alarm.alarm_number[1:]}"}
        if alarm.police:
            steps: list[tuple[MessageKind, dict[str, Any]]] = [
                (MessageKind.accepted, {"peer_id": alarm.alarm_number}),
                (MessageKind.dispatched, {"unit": unit, **who}),
                (MessageKind.on_site, {"unit": unit, **who}),
                (MessageKind.result, {"result": f"民警已到场处置：{payload.content[:100]}",
                                      "result_category": "现场处置", **who}),
                (MessageKind.closed, {"note": "已结警", "result_category": "现场处置",
                                      "closure_code": "10", **who}),
            ]
        else:
            steps = [(MessageKind.rejected, {
                "reason": "非警务事项，不属于110受理范围，请12345按工单流程办理（SH 二(一)2）",
                "suggested_handler": "12345市民服务热线",
            })]
        return [
            Envelope.new(
                kind, sender=s.code, correlation_id=alarm.alarm_number,
                payload={"ref": original.correlation_id, "seq": i, "occurred_at": start + i * step, **extra},
            )
            for i, (kind, extra) in enumerate(steps, start=1)
        ]

    async def _timeline(self, alarm: Alarm, mode: SimulatorMode) -> None:
        """Send the callbacks of one matter, one step apart, in the order the mode asks for."""
        assert self.settings.callback_url
        peer = self.peer_12345(self.settings.callback_url)
        envelopes = self._callbacks_for(alarm)
        if mode.out_of_order and len(envelopes) > 1:
            natural = list(envelopes)
            while envelopes == natural:  # a shuffle that changes nothing would test nothing
                self.rng.shuffle(envelopes)
        copies = 2 if mode.duplicate_deliveries else 1
        for envelope in envelopes:
            await asyncio.sleep(self.settings.step_delay_ms / 1000)
            if alarm.cancelled:  # 12345 withdrew it: nothing more to report
                break
            for _ in range(copies):
                result = await self._deliver(peer, envelope)
                alarm.callbacks.append({
                    "seq": envelope.payload.seq,  # type: ignore[union-attr]
                    "kind": envelope.kind.value,
                    "message_id": str(envelope.message_id),
                    "status": result.status.value,
                    "http_status": result.http_status,
                })

    async def _deliver(self, peer: PeerConfig, envelope: Envelope) -> SendResult:
        """Send with a few quick retries; the simulator is not a durable outbox."""
        result: SendResult | None = None
        for attempt in range(1, peer.max_attempts + 1):
            result = await asyncio.to_thread(send, peer, envelope, client=self.http, now=self.clock())
            self.stats["callback_attempts"] += 1
            if result.status.done or result.status.value == "rejected":
                break
            if attempt < peer.max_attempts:
                delay = next_attempt_delay(attempt, base=timedelta(milliseconds=200),
                                           cap=timedelta(seconds=2), rng=self.rng)
                await asyncio.sleep(delay.total_seconds())
        assert result is not None
        self.stats["callbacks_sent" if result.status.done else "callbacks_failed"] += 1
        return result

    async def push(self, request: PushRequest) -> Response:
        """Hand a non-police call to 12345 as a signed transfer (SH 二(一)2)."""
        url = self.settings.effective_push_url
        if not url:
            detail = "start with --push-url or --callback-url"
            return _problem(409, "no-push-url", "未配置12345接收地址", detail)
        now = self.clock()
        number = self.next_alarm_number()
        text = request.text.strip()
        payload: PoliceOrder | TicketTransfer
        if request.kind is MessageKind.police_order:
            payload = PoliceOrder(
                alarm_number=number, call_time=now, caller_name=request.caller_name,
                caller_phone=request.caller_phone, address=request.address or "未提供",
                content=text, category_code=triage.category_code(text), level=4,
                jurisdiction_code=f"{self.settings.region_code}000000",
                request_type=triage.request_type(text),  # type: ignore[arg-type]
                received_by="接警员 李敏", incident_time=now - timedelta(minutes=5),
            )
        elif request.kind is MessageKind.ticket_transfer:
            payload = TicketTransfer(
                ticket_number=number, channel="phone", request_type=triage.request_type(text),  # type: ignore[arg-type]
                category="110转办", content=text, address=request.address, caller_name=request.caller_name,
                caller_phone=request.caller_phone, registered_at=now,
                transfer_reason="非警务求助，属12345受理范围（SH 二(一)2）",
                received_by="接警员 李敏", incident_time=now - timedelta(minutes=5),
            )
        else:
            return _problem(422, "kind", "只能推送警单或工单", f"kind {request.kind} cannot be pushed")
        envelope = Envelope.new(request.kind, sender=self.settings.code, correlation_id=number,
                                payload=payload, sent_at=now)
        result = await self._deliver(self.peer_12345(url), envelope)
        record = {
            "alarm_number": number, "message_id": str(envelope.message_id), "kind": envelope.kind.value,
            "status": result.status.value, "http_status": result.http_status,
            "peer_id": result.peer_id, "error": result.error,
        }
        self.pushes.append(record)
        self.stats["pushes"] += 1
        return JSONResponse(record, status_code=200 if result.status.done else 502)


def create_app(settings: SimulatorSettings, *, clock: Clock = _utcnow) -> FastAPI:
    """The simulator as an ASGI app (the hotline CLI can mount or serve it)."""
    sim = Simulator(settings, clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for task in list(sim.tasks):
            task.cancel()
        sim.http.close()

    app = FastAPI(title="Simulated 110 platform (模拟110报警服务台)", version="1", lifespan=lifespan)
    app.state.simulator = sim

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "code": settings.code}

    @app.post("/api/v1/inbound", summary="receive a signed 工单/警单 or feedback from 12345")
    async def inbound(request: Request) -> Response:
        return await sim.inbound(request)

    @app.get("/alarms", summary="everything received, in arrival order")
    def alarms() -> list[dict[str, Any]]:
        return [a.public() for a in sim.alarms.values() if a.envelope.kind in TRANSFER_KINDS]

    @app.get("/pushes", summary="matters pushed to 12345 and the feedback 12345 sent about them")
    def pushes() -> dict[str, Any]:
        return {"pushes": sim.pushes, "feedback": sim.feedback}

    @app.post("/control/push", summary="hand a non-police matter to 12345")
    async def push(request: PushRequest) -> Response:
        return await sim.push(request)

    @app.get("/control/mode")
    def get_mode() -> SimulatorMode:
        return sim.mode

    @app.post("/control/mode", summary="set the failure modes (fields not given are turned off)")
    def set_mode(mode: SimulatorMode) -> SimulatorMode:
        sim.mode = mode
        return sim.mode

    @app.post("/control/reset", summary="forget everything received and sent; healthy mode")
    def reset() -> dict[str, bool]:
        for task in list(sim.tasks):
            task.cancel()
        sim.reset()
        return {"ok": True}

    @app.get("/control/stats")
    def stats() -> dict[str, Any]:
        return {
            **{k: sim.stats.get(k, 0) for k in (
                "requests", "received", "duplicates", "rejected_signature", "rejected_invalid",
                "refused_down", "http500", "feedback_received", "follow_ups_received", "pushes",
                "callback_attempts", "callbacks_sent", "callbacks_failed",
            )},
            "alarms": sum(a.envelope.kind in TRANSFER_KINDS for a in sim.alarms.values()),
            "pending_timelines": len(sim.tasks),
            "mode": sim.mode.model_dump(),
        }

    return app
