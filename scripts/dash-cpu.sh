#!/usr/bin/env bash
# Measures the dashboard's own CPU (rendering included) the way a class runs it:
# `imgq --workers 0 --interval 250ms` in tmux at 120×36 against a loopback
# redis-server, 16 separate `imgq worker` processes each holding a task, and
# 100,000 course-style tasks pending behind them. Prints the dashboard's CPU as
# a share of one core over WINDOW seconds (utime+stime from /proc/PID/stat).
# Linux only (reads /proc). Usage: scripts/dash-cpu.sh [WINDOW=30] [PENDING=100000] [WORKERS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW=${1:-30} PENDING=${2:-100000} WORKERS=${3:-16}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sock="imgq-dashcpu-$$"
pids=()
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/imgq" .
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes >/dev/null
url="redis://127.0.0.1:$port"
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
"$dir/imgq" enqueue --redis "$url" -n "$WORKERS" --size 64x64 >/dev/null 2>&1
for i in $(seq "$WORKERS"); do
  "$dir/imgq" worker --redis "$url" --id "w$i" --delay 1h --output "$dir/out" >/dev/null 2>&1 &
  pids+=($!)
done
until [ "$(redis-cli -p "$port" hlen image_processing:processing)" -ge "$WORKERS" ]; do sleep 0.2; done
# The course's producer's layout: a task:<id> hash and an RPUSH to pending.
redis-cli -p "$port" eval "
local t = redis.call('TIME')
for i = 1, tonumber(ARGV[1]) do
  local id = 'course-' .. i
  redis.call('HSET', 'task:' .. id, 'id', id, 'status', 'pending', 'created_at', t[1],
    'data', '{\"name\":\"photo.jpg\",\"image_path\":\"photo.jpg\",\"output_path\":\"output/photo.jpg\",\"filters\":[\"grayscale\"]}')
  redis.call('RPUSH', KEYS[1], id)
end
return redis.call('LLEN', KEYS[1])" 1 image_processing:pending "$PENDING" >/dev/null
tmux -L "$sock" -f /dev/null new-session -d -s d -x 120 -y 36 "$dir/imgq --redis $url --workers 0 --interval 250ms"
sleep 5
pid=$(tmux -L "$sock" display-message -p -t d '#{pane_pid}')
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
a=$(ticks); sleep "$WINDOW"; b=$(ticks)
screen=$(tmux -L "$sock" capture-pane -t d -p)
echo "$screen" | grep -E 'pending |Workers' | head -3
awk -v a="$a" -v b="$b" -v hz="$hz" -v w="$WINDOW" -v p="$PENDING" -v n="$WORKERS" \
  'BEGIN { printf "dashboard CPU: %.1f%% of one core over %ss (%d pending, %d workers busy, 4 refreshes/s, 120x36)\n", 100*(b-a)/hz/w, w, p, n }'
