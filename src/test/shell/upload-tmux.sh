#!/usr/bin/env bash
# The upload CLI as an advertiser sees it on a terminal: a tmux pane (120x30) runs `bin/audience-match upload` against
# a service with its own Redis (started as the launcher starts them); the screen must show the progress bar (rows,
# rows/s, ETA), then the readable summary, and the command must end with exit 0 and one JSON line. Bounded in time.
# Needs a built service (after ./mvnw verify, or it builds), tmux, redis-server and curl. .ci/run calls it.
set -euo pipefail
# shellcheck source=../../../bin/audience-match
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/bin/audience-match"

ROWS=${ROWS:-200000}
SESSION="am-upload-$$"
fail() { say "upload-tmux: FAILED: $*"; say "--- screen:"; tmux capture-pane -p -t "$SESSION" >&2 2>/dev/null || true; exit 1; }

# wait_for SECONDS REGEX: polls the pane until it shows REGEX (extended), or fails after SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    tmux capture-pane -p -t "$SESSION" | grep -Eq -- "$2" && return 0
    sleep 0.2
  done
  fail "no '$2' on the screen within $1 s"
}

command -v tmux >/dev/null || fail "tmux is missing (apt-get install tmux)"
build_if_needed
ensure_keys
WORK_DIR="$(mktemp -d)"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; cleanup' EXIT
start_redis
start_service "$(free_port)" "$REDIS_URL"
base_url="http://127.0.0.1:$HTTP_PORT"
cli seed-load --base-url "$base_url" --subscribers 20000 --campaigns 1 --out "$WORK_DIR/campaigns.txt" >/dev/null 2>&1

# A list as a CRM exports it: the synthetic base's addresses (nobody real), some in capitals, and two bad rows.
awk -v n="$ROWS" 'BEGIN { print "customer,email,city"; for (i = 0; i < n; i++) printf "%d,%s,Gent\n", i, (i % 3 ? "user" i "@example.be" : "USER" i "@EXAMPLE.BE"); print "x,not an address,Gent"; print "y,,Gent" }' \
  >"$WORK_DIR/customers.csv"
cli token --role advertiser --sub tmux-advertiser >"$WORK_DIR/adv.token"

tmux new-session -d -s "$SESSION" -x 120 -y 30
tmux send-keys -t "$SESSION" "cd '$ROOT' && bin/audience-match upload --base-url $base_url --token-file '$WORK_DIR/adv.token' \
--new 'tmux list' --channel tv --email-column email --chunk-rows 20000 '$WORK_DIR/customers.csv' | tee '$WORK_DIR/report.json'; \
echo \"upload-exit=\${PIPESTATUS[0]}\"" Enter

wait_for 90 '\[[#-]{24}\] +[0-9]+% [0-9,]+ rows +[0-9,]+ rows/s +ETA [0-9]+:[0-9]{2}'
say "upload-tmux: progress bar seen"
wait_for 180 'upload-exit=[0-9]+'
tmux capture-pane -p -t "$SESSION" | grep -q 'upload-exit=0' || fail "upload did not exit 0"
screen="$(tmux capture-pane -p -t "$SESSION")"
grep -Eq '^Audience aud_[A-Za-z0-9]+ \(tv, e-mail\)' <<<"$screen" || fail "no summary"
grep -Eq 'not normalised +2 \(never sent\)' <<<"$screen" || fail "the summary lacks the 2 bad rows"
grep -Eq 'matched +[0-9,]+ \(rounded down to 10\)' <<<"$screen" || fail "the summary lacks the match"
[[ "$(wc -l <"$WORK_DIR/report.json")" -eq 1 ]] || fail "stdout is not one line"
grep -q "\"rows\":$((ROWS + 2))" "$WORK_DIR/report.json" || fail "the JSON line does not count every row"
grep -q '"received":'"$ROWS"',' "$WORK_DIR/report.json" || fail "the service did not receive every valid row once"
if grep -qi 'example\.be' <<<"$screen"; then fail "an address reached the screen"; fi
say "upload-tmux: summary and JSON line seen; passed"
