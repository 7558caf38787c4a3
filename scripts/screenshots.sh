#!/usr/bin/env bash
# Makes the dashboard's screenshots in screenshots/ from real runs: the real
# binary, a real redis-server, real worker processes, in tmux (24-bit colour via
# tmux-direct), captured with `tmux capture-pane -e` and rendered by freeze.
#
#   scripts/screenshots.sh            # every shot; needs redis-server, tmux, ssh, freeze v0.2.2
#                                     # and rsvg-convert (librsvg2-bin): freeze draws PNGs
#                                     # with it when present; its built-in renderer faults
#                                     # on some machines
#   scripts/screenshots.sh viewer     # only these groups: idle busy small themes
#                                     # classroom viewer course cluster (busy makes busy,
#                                     # failed, detail, monitor and help)
#
# Everything listens on loopback only: redis-server binds 127.0.0.1, and every
# --share dashboard serves its SSH viewers on 127.0.0.1 (never the default
# :2222 on all interfaces), with its host key in a temporary folder.
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
sshport=$(( 40000 + RANDOM % 20000 ))
pids=()
groups=("$@")

# want GROUP: whether this run makes GROUP's shots (all of them when no
# group was named).
want() { [ ${#groups[@]} -eq 0 ] || [[ " ${groups[*]} " == *" $1 "* ]]; }

cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for p in "${cports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
cports=()
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

# stop: quit the running dashboard, if any. q quits gracefully: the embedded
# workers deregister instead of lingering, and the shared switches it turned
# on (pace, failure injection) are turned off.
stop() {
  tmux -L "$sock" send-keys -t s q 2>/dev/null && sleep 1.5 || true
  tmux -L "$sock" kill-server 2>/dev/null || true
}
# start: quit the running dashboard (if any) and start a new one in tmux.
start() { # start W H ARGS...
  local w=$1 h=$2; shift 2
  stop
  tmux -f "$tmp/tmux.conf" -L "$sock" new-session -d -s s -x "$w" -y "$h" \
    "cd $tmp && XDG_CONFIG_HOME=$tmp/config $tmp/imgq --redis $url $* 2>$tmp/dash.err"
  sleep 2
}
keys() { for k in "$@"; do tmux -L "$sock" send-keys -t s "$k"; sleep 0.3; done; }
# freeze hands the SVG to rsvg-convert when it is installed, which cannot use
# the font freeze embeds: name an installed monospaced one then.
font=()
if command -v rsvg-convert >/dev/null; then font=(--font.family "DejaVu Sans Mono"); fi
render() { # render NAME BACKGROUND: freeze draws $tmp/NAME.ansi as $out/NAME.png
  "$FREEZE" --language ansi --window=false --padding 20 --background "$2" \
    --font.size 14 --line-height 1.0 "${font[@]}" -o "$out/$1.png" <"$tmp/$1.ansi" >/dev/null
  echo "$out/$1.png"
}
grab() { # grab NAME [FOREGROUND]: capture now, render later (freeze takes seconds)
  tmux -L "$sock" capture-pane -t s -e -p | normalise "${2:-}" >"$tmp/$1.ansi"
}
shot() { # shot NAME [BACKGROUND FOREGROUND]: the terminal's colours, dark unless given
  grab "$1" "${3:-}"
  render "$1" "${2:-#15151e}"
}
worker() { # worker ID [ARGS...]
  local id=$1; shift
  "$tmp/imgq" worker --redis "$url" --id "$id" "$@" >"$tmp/w-$id.log" 2>&1 &
  pids+=($!)
}
# fresh: no dashboard and no workers left from the last group (each stops
# gracefully and deregisters, so none lingers in the next picture) and an
# empty queue. It comes before the group's dashboard starts: a flush also
# deletes the shared switches, the dashboard's --pace among them.
fresh() {
  stop
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  "$tmp/imgq" flush --yes --redis "$url" >/dev/null 2>&1 || true
}
# workers N: N imgq workers, w-1 .. w-N. The dashboards that show them busy
# start with --pace, as a teacher would: the pace is shared through Redis, so
# every imgq worker on the queue takes at least that long over each task and a
# class (and a picture) sees them at work.
workers() { for i in $(seq 1 "$1"); do worker "w-$i"; done; }

# beside LEFT RIGHT WIDTH TITLE_LEFT TITLE_RIGHT: the normalised captures
# $tmp/LEFT.ansi and $tmp/RIGHT.ansi side by side, each under its title, LEFT
# padded to WIDTH cells (run in the C locale, the awk counts a UTF-8
# character by its first byte: every character the dashboard draws is one cell wide).
beside() {
  LC_ALL=C awk -v w="$3" -v tl="$4" -v tr="$5" -v right="$tmp/$2.ansi" '
  function cells(s) { gsub(/\033\[[0-9;:]*m/, "", s); gsub(/[\200-\277]/, "", s); return length(s) }
  function pad(s, n) { while (cells(s) < n) s = s " "; return s }
  BEGIN {
    dim = "\033[0;38;2;108;108;132m"; sep = dim " \342\224\202 \033[0m"
    print pad(dim " " tl, w) sep dim " " tr "\033[0m"
    print pad("", w) sep
  }
  { r = ""; if ((getline r < right) <= 0) r = ""; print pad($0, w) sep r }
  ' "$tmp/$1.ansi"
}

fresh

if want idle; then
  # 1. idle: a fresh queue, three embedded workers waiting.
  start 120 36
  shot idle
fi

if want busy; then
  # 2. busy: three workers and a backlog, at a teaching pace of 600 ms.
  fresh
  workers 3
  start 120 36 --workers 0 --pace 600ms
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
fi

if want small; then
  # 7. 80×24, with failure injection on.
  fresh
  workers 3
  start 80 24 --workers 0 --pace 600ms
  keys E x
  sleep 3
  shot small-80x24
  keys x
fi

if want themes; then
  # 7b. the light theme, as a light terminal on a projector shows it (--theme auto
  # picks it by itself on a light terminal), and the high-contrast theme there.
  fresh
  workers 3
  for theme in light contrast; do
    start 120 36 --workers 0 --pace 600ms --theme "$theme"
    keys E E
    sleep 3
    shot "theme-$theme" "#ffffff" "38;2;0;0;0"
  done
fi

if want classroom; then
  # 8. classroom: 30 student workers at 120×36, join line shown, then the leaderboard.
  fresh
  names=(ana luis marta pablo sofia diego lucia hugo elena mario)
  for i in $(seq 1 30); do worker "${names[$(( (i-1) % 10 ))]}-$i"; done
  start 120 36 --workers 0 --share --ssh-addr "127.0.0.1:$sshport" --pace 1500ms
  sleep 2
  # 180 tasks: six rounds of the class (9 s), so both pictures catch it at work.
  keys E E E E E E E E E E E E
  sleep 0.5
  grab classroom-30
  keys l
  sleep 1
  grab classroom-leaderboard
  render classroom-30 "#15151e"
  render classroom-leaderboard "#15151e"
fi

if want viewer && ! command -v ssh >/dev/null; then
  echo "viewer: skipped, no ssh client (apt-get install openssh-client)" >&2
elif want viewer; then
  # 9. a student's laptop beside the teacher's screen: the teacher's dashboard
  # at 120×36 with --share, and a read-only SSH viewer at 90×30 that joined
  # with Spanish labels (es@) and has just pressed x, which stays with the
  # teacher. ssh reads the run's password (from the join line) through
  # SSH_ASKPASS, so no sshpass is needed.
  fresh
  workers 4
  start 120 36 --workers 0 --share --ssh-addr "127.0.0.1:$sshport" --pace 600ms
  keys E E E
  tmux -L "$sock" capture-pane -t s -p | grep -o 'password [0-9a-f]*' | head -1 | cut -d' ' -f2 >"$tmp/ssh-password"
  [ -s "$tmp/ssh-password" ] || { echo "viewer: no ssh password on the join line" >&2; exit 1; }
  printf '#!/bin/sh\ncat %s\n' "$tmp/ssh-password" >"$tmp/askpass"
  chmod +x "$tmp/askpass"
  tmux -f "$tmp/tmux.conf" -L "$sock" new-session -d -s v -x 90 -y 30 \
    "SSH_ASKPASS=$tmp/askpass SSH_ASKPASS_REQUIRE=force ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $sshport es@127.0.0.1 2>$tmp/ssh.err"
  sleep 4
  tmux -L "$sock" send-keys -t v x
  sleep 0.5
  tmux -L "$sock" capture-pane -t s -e -p | normalise >"$tmp/teacher.ansi"
  tmux -L "$sock" capture-pane -t v -e -p | normalise >"$tmp/student.ansi"
  beside teacher student 120 "the teacher's screen: imgq --share (120x36)" \
    "a student's laptop: ssh -p $sshport es@TEACHER (90x30)" >"$tmp/ssh-viewer.ansi"
  render ssh-viewer "#15151e"
fi

if want course && /usr/bin/python3 -c 'import redis, PIL' 2>/dev/null; then
  # 10. a mixed class: the course's Python workers (our own course-style redis-py +
  # Pillow worker, e2e/course) beside imgq workers, on one queue; one Python
  # worker crashed after claiming, so its task shows as stuck (S requeues it).
  fresh
  mkdir -p "$tmp/images"
  /usr/bin/python3 -c "
from PIL import Image
for i in range(40):
    Image.new('RGB', (1600, 1200), (6 * i, 90, 200)).save('$tmp/images/photo_%02d.jpg' % i)"
  py="$root/e2e/course"
  (cd "$tmp" && /usr/bin/python3 "$py/producer.py" --port "$port" images/photo_0*.jpg >/dev/null)
  (cd "$tmp" && timeout 10 /usr/bin/python3 "$py/worker.py" --port "$port" --worker-id py-crashed --crash-after-claim >/dev/null 2>&1) || true
  # The pace slows the imgq workers only: the course's Python workers cannot
  # keep it, and go at their own speed beside them.
  start 120 36 --workers 0 --stuck-after 5s --pace 300ms
  for n in imgq-ana imgq-bea; do worker "$n" --input "$tmp" --output "$tmp/output"; done
  for n in py-luis py-marta; do
    (cd "$tmp" && exec /usr/bin/python3 "$py/worker.py" --port "$port" --worker-id "$n" --idle-exit 20 >/dev/null 2>&1) &
    pids+=($!)
  done
  (cd "$tmp" && /usr/bin/python3 "$py/producer.py" --port "$port" images/photo_[1-3]*.jpg >/dev/null)
  "$tmp/imgq" enqueue --redis "$url" "$tmp"/images/photo_*.jpg >/dev/null 2>&1
  sleep 7
  # A Python worker is idle for a moment between two tasks: take the picture
  # at a refresh where every worker is busy with one (within a few seconds).
  for _ in $(seq 1 20); do
    tmux -L "$sock" capture-pane -t s -p | grep -qw idle || break
    sleep 0.3
  done
  shot course
fi

if want cluster; then
  # 11. one queue over a 3-master Redis Cluster (--shards 3): the header names
  # each master and the depth of the shard it holds; three workers drain all
  # three shards. The cluster is made here, on loopback ports.
  fresh
  cports=($((port + 1)) $((port + 2)) $((port + 3)))
  for p in "${cports[@]}"; do
    mkdir -p "$tmp/c$p"
    (cd "$tmp/c$p" && redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
      --save "" --appendonly no --daemonize yes --logfile "$tmp/c$p/redis.log")
  done
  sleep 0.5
  redis-cli --cluster create "${cports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "${cports[0]}" cluster info | grep -q cluster_state:ok && break
    sleep 0.2
  done
  curl="redis://127.0.0.1:${cports[0]}/0"
  for i in 1 2 3; do
    "$tmp/imgq" worker --cluster --redis "$curl" --shards 3 --id "w-$i" >"$tmp/w-c$i.log" 2>&1 &
    pids+=($!)
  done
  "$tmp/imgq" enqueue --cluster --redis "$curl" --shards 3 --count 300 --size 320x240 >/dev/null 2>&1
  start 120 36 --cluster --redis "$curl" --shards 3 --workers 0 --pace 400ms
  keys E E
  sleep 4
  shot cluster-shards
fi
