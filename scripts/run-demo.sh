#!/usr/bin/env bash
# `make run`: the demo server with its own 110 simulator on a free port, so demo hand-overs reach
# this simulator and no other process on the machine (never a fixed, shared port).
set -euo pipefail
BIN=${BIN:-.venv/bin}
SIM_PORT=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export HOTLINE_PEER__110__NAME="110 报警服务台（演示模拟器）"
export HOTLINE_PEER__110__BASE_URL="http://127.0.0.1:${SIM_PORT}"
export HOTLINE_PEER__110__SECRET="demo-12345-to-110-$(date +%s)-$$"
export HOTLINE_PEER__110__INBOUND_SECRET="demo-110-to-12345-$(date +%s)-$$"
"$BIN/hotline" sim110 --port "$SIM_PORT" &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT INT TERM
echo "演示 110 模拟器：http://127.0.0.1:${SIM_PORT}（仅本次 make run 使用）"
"$BIN/hotline" serve
