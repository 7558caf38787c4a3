#!/usr/bin/env bash
# Makes the dashboard's screenshots in screenshots/ from real runs: the real
# binary, a real redis-server, real worker processes, in tmux (24-bit colour via
# tmux-direct), captured with `tmux capture-pane -e` and rendered by freeze.
#
#   scripts/screenshots.sh            # needs redis-server, tmux, freeze v0.2.2
#
# freeze ignores SGR 39/49 and 22–29 and resets the style at each newline, so
# every capture goes through normalise() first: it tracks the style and
# re-emits it in full at each line start and after each change.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=screenshots
mkdir -p "$out"
tmp=$(mktemp -d)
FREEZE=${FREEZE:-$(command -v freeze || echo "$HOME/go/bin/freeze")}
sock="imgq-shots-$$"
port=$(( 20000 + RANDOM % 20000 ))
pids=()

cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/imgq" .
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --logfile "$tmp/redis.log"
sleep 0.5
url="redis://127.0.0.1:$port/0"
printf 'set -g default-terminal "tmux-direct"\nset -g status off\n' >"$tmp/tmux.conf"

# normalise rewrites SGR so freeze draws what the terminal drew. Its argument,
# if any, is the terminal's default foreground ("38;2;R;G;B"): freeze's own is
# for a dark background, so a light terminal's text must be given explicitly.
normalise() {
  awk -v deffg="${1:-}" '
  function emit(   s) {
    s = "\033[0"
    if (bold) s = s ";1"; if (faint) s = s ";2"; if (ital) s = s ";3"; if (und) s = s ";4"; if (rev) s = s ";7"
    if (fg != "") s = s ";" fg; else if (deffg != "") s = s ";" deffg
    if (bg != "") s = s ";" bg
    return s "m"
  }
  function apply(params,   n, p, i) {
    n = split(params, p, ";")
    if (params == "") { n = 1; p[1] = 0 }
    for (i = 1; i <= n; i++) {
      v = p[i] + 0
      if (v == 0) { bold = faint = ital = und = rev = 0; fg = bg = "" }
      else if (v == 1) bold = 1; else if (v == 2) faint = 1; else if (v == 3) ital = 1
      else if (v == 4) und = 1; else if (v == 7) rev = 1
      else if (v == 22) bold = faint = 0; else if (v == 23) ital = 0; else if (v == 24) und = 0; else if (v == 27) rev = 0
      else if (v == 39) fg = ""; else if (v == 49) bg = ""
      else if ((v == 38 || v == 48) && p[i+1] == 2) { c = v ";2;" p[i+2] ";" p[i+3] ";" p[i+4]; if (v == 38) fg = c; else bg = c; i += 4 }
      else if ((v == 38 || v == 48) && p[i+1] == 5) { c = v ";5;" p[i+2]; if (v == 38) fg = c; else bg = c; i += 2 }
      else if ((v >= 30 && v <= 37) || (v >= 90 && v <= 97)) fg = v
      else if ((v >= 40 && v <= 47) || (v >= 100 && v <= 107)) bg = v
    }
  }
  {
    line = $0; o = emit()
    while (match(line, /\033\[[0-9;:]*m/)) {
      o = o substr(line, 1, RSTART - 1)
      apply(substr(line, RSTART + 2, RLENGTH - 3))
      o = o emit()
      line = substr(line, RSTART + RLENGTH)
    }
    print o line "\033[0m"
  }'
}

# shot NAME W H KEYS... : start a dashboard session if needed, send keys, capture.
start() { # start W H ARGS...
  local w=$1 h=$2; shift 2
  # q quits gracefully: the embedded workers deregister instead of lingering.
  tmux -L "$sock" send-keys -t s q 2>/dev/null && sleep 1.5 || true
  tmux -L "$sock" kill-server 2>/dev/null || true
  tmux -f "$tmp/tmux.conf" -L "$sock" new-session -d -s s -x "$w" -y "$h" \
    "cd $tmp && $tmp/imgq --redis $url $* 2>$tmp/dash.err"
  sleep 2
}
keys() { for k in "$@"; do tmux -L "$sock" send-keys -t s "$k"; sleep 0.3; done; }
shot() { # shot NAME [BACKGROUND FOREGROUND]: the terminal's colours, dark unless given
  tmux -L "$sock" capture-pane -t s -e -p | normalise "${3:-}" >"$tmp/$1.ansi"
  "$FREEZE" --language ansi --window=false --padding 20 --background "${2:-#15151e}" \
    --font.size 14 --line-height 1.0 -o "$out/$1.png" <"$tmp/$1.ansi" >/dev/null
  echo "$out/$1.png"
}
worker() { # worker ID [ARGS...]
  local id=$1; shift
  "$tmp/imgq" worker --redis "$url" --id "$id" "$@" >"$tmp/w-$id.log" 2>&1 &
  pids+=($!)
}

"$tmp/imgq" flush --yes --redis "$url" >/dev/null 2>&1 || true

# 1. idle: a fresh queue, three embedded workers waiting.
start 120 36
shot idle

# 2. busy: three workers and a backlog, slowed by the dashboard's teaching pace
# (shared through Redis, so every imgq worker keeps it) so the class can watch.
start 120 36 --workers 0 --pace 600ms
"$tmp/imgq" flush --yes --redis "$url" >/dev/null
for i in 1 2 3; do worker "w-$i"; done
sleep 2
keys E E E
sleep 4
shot busy

# 3. failed tasks: x turns failure injection on (20%); for the picture the rate
# is raised to 100% for a few seconds so some tasks use up their 3 attempts.
keys x
redis-cli -p "$port" hset image_processing:config fail_rate 1 >/dev/null
keys E
sleep 8
redis-cli -p "$port" hset image_processing:config fail_rate 0.2 >/dev/null
keys F
sleep 1
shot failed

# 4. task detail: the first dead letter.
keys Enter
sleep 1
shot detail
keys Escape Escape x

# 5. MONITOR mode against the real redis-server.
keys E m
sleep 2
shot monitor
keys m

# 6. help.
keys '?'
shot help
keys '?'

# 7. 80×24.
start 80 24 --workers 0 --pace 600ms
keys E
sleep 3
shot small-80x24

# 7b. the light theme, as a light terminal on a projector shows it (--theme auto
# picks it by itself on a light terminal), and the high-contrast theme there.
for theme in light contrast; do
  start 120 36 --workers 0 --theme "$theme"
  keys E E
  sleep 3
  shot "theme-$theme" "#ffffff" "38;2;0;0;0"
done

# 8. classroom: 30 student workers at 120×36, join line shown, then the leaderboard.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()
"$tmp/imgq" flush --yes --redis "$url" >/dev/null
names=(ana luis marta pablo sofia diego lucia hugo elena mario)
for i in $(seq 1 30); do worker "${names[$(( (i-1) % 10 ))]}-$i"; done
start 120 36 --workers 0 --share --pace 900ms
sleep 2
keys E E E E E E
sleep 5
shot classroom-30
keys l
sleep 1
shot classroom-leaderboard

# 9. a mixed class: the course's Python workers (our own course-style redis-py +
# Pillow worker, e2e/course) beside an imgq worker, on one queue; one Python
# worker crashed after claiming, so its task shows as stuck (S requeues it).
if /usr/bin/python3 -c 'import redis, PIL' 2>/dev/null; then
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Let the students' workers deregister before the flush, so none lingers.
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  "$tmp/imgq" flush --yes --redis "$url" >/dev/null
  mkdir -p "$tmp/images"
  /usr/bin/python3 -c "
from PIL import Image
for i in range(40):
    Image.new('RGB', (1600, 1200), (6 * i, 90, 200)).save('$tmp/images/photo_%02d.jpg' % i)"
  py="$root/e2e/course"
  (cd "$tmp" && /usr/bin/python3 "$py/producer.py" --port "$port" images/photo_0*.jpg >/dev/null)
  (cd "$tmp" && timeout 10 /usr/bin/python3 "$py/worker.py" --port "$port" --worker-id py-crashed --crash-after-claim >/dev/null 2>&1) || true
  # The pace slows the imgq worker only: the course's Python workers cannot keep it.
  start 120 36 --workers 0 --stuck-after 5s --pace 300ms
  worker imgq-ana --input "$tmp" --output "$tmp/output"
  for n in py-luis py-marta; do
    (cd "$tmp" && exec /usr/bin/python3 "$py/worker.py" --port "$port" --worker-id "$n" --idle-exit 20 >/dev/null 2>&1) &
    pids+=($!)
  done
  (cd "$tmp" && /usr/bin/python3 "$py/producer.py" --port "$port" images/photo_[1-3]*.jpg >/dev/null)
  "$tmp/imgq" enqueue --redis "$url" "$tmp"/images/photo_*.jpg >/dev/null 2>&1
  sleep 7
  shot course
fi
