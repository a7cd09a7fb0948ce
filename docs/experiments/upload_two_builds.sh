#!/bin/bash
# Two builds of the service on one Redis seeded with N subscribers (default 10M), and 1M-row audience uploads (half of
# the rows match) timed from the first byte to the report with curl, alternated between them (docs/performance.md,
# "Uploads: sorted by bucket"). Run from the repository root after a build; OTHER is a second checkout, built, with
# the same .local keys (for example a git worktree of an older commit, with .local copied in):
#   OTHER=/tmp/old docs/experiments/upload_two_builds.sh [N] [rounds]
# Prints one line a round: "this <seconds> <matched>  other <seconds> <matched>".
set -euo pipefail
N="${1:-10000000}"; ROUNDS="${2:-4}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"; cd "$ROOT"
OTHER="${OTHER:?set OTHER to a second built checkout}"
CP="target/quarkus-app/app/*:target/quarkus-app/lib/main/*"
D="$(mktemp -d)"; PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$D"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat > "$D/Render.java" <<'JAVA'
public class Render {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    try (var out = new java.io.BufferedOutputStream(new java.io.FileOutputStream(a[1]), 1 << 20)) {
      for (int i = 0; i < n; i++) out.write(be.audiencematch.cli.SyntheticBase.ndjsonLine(i).getBytes("UTF-8"));
    }
    try (var out = new java.io.BufferedOutputStream(new java.io.FileOutputStream(a[2]), 1 << 20)) {
      for (int i = 0; i < 1000000; i++) {
        String hash = i % 2 == 0 ? be.audiencematch.cli.SyntheticBase.emailHash((i / 2) % n)
            : be.audiencematch.cli.SyntheticBase.emailHash(n + 1000000 + i);
        out.write((hash + "\n").getBytes("UTF-8"));
      }
    }
  }
}
JAVA
java -cp "$CP" "$D/Render.java" "$N" "$D/load.ndjson" "$D/audience.txt"
RP="$(free_port)"
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" --hash-max-listpack-entries 1024 \
  >/dev/null 2>&1 &
PIDS+=($!)
bits=8; while (( bits < 17 && (1 << bits) * 32 < N )); do bits=$((bits + 1)); done
start() { # root port
  (cd "$1" && AUDIENCE_MATCH_BUCKET_BITS=$bits AUDIENCE_MATCH_UPLOAD_MAX_BYTES=8589934592 \
    AUDIENCE_MATCH_REDIS_URL="redis://127.0.0.1:$RP" QUARKUS_HTTP_PORT="$2" \
    exec java -Xmx2g -jar target/quarkus-app/quarkus-run.jar >"$D/service-$2.log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$2/q/health/ready" && break; sleep 0.1; done
}
NEW="$(free_port)"; start "$ROOT" "$NEW"
OLD="$(free_port)"; start "$OTHER" "$OLD"
FEED="$(bin/audience-match token --role subscriber-feed --sub feed)"
ADV="$(bin/audience-match token --role advertiser --sub adv-ab)"
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $FEED" -H "Content-Type: application/x-ndjson" \
  -T "$D/load.ndjson" "http://127.0.0.1:$NEW/v1/subscribers/bulk"
echo "seeded $N ($bits bits)"
upload() { # port -> seconds
  local id t0 t1
  id=$(curl -sf -X POST -H "Authorization: Bearer $ADV" -H "Content-Type: application/json" \
    -d '{"name":"ab","identifier_type":"email_sha256","channel":"tv"}' "http://127.0.0.1:$1/v1/audiences" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  t0=$(date +%s.%N)
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $ADV" -H "Content-Type: text/plain" -T "$D/audience.txt" \
    "http://127.0.0.1:$1/v1/audiences/$id/members"
  curl -sf -o "$D/report.json" -H "Authorization: Bearer $ADV" "http://127.0.0.1:$1/v1/audiences/$id"
  t1=$(date +%s.%N)
  echo "$(python3 -c "print(round($t1 - $t0, 3))")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matched"])' "$D/report.json")"
}
upload "$NEW" >/dev/null; upload "$OLD" >/dev/null   # warm-ups
for r in $(seq 1 "$ROUNDS"); do echo "this $(upload "$NEW")  other $(upload "$OLD")"; done
