#!/bin/bash
# A cold bulk load of N synthetic subscribers (default 1M) on a hand-started Redis and service, with the service's
# CPU time per subscriber split by thread group (C2, worker, event loops, GC...) from /proc, and Redis' total
# (docs/performance.md, "Bulk load: where a cold load's time goes"). Run from the repository root after a build:
#   docs/experiments/bulk_cpu_by_thread.sh [N]
# Environment: JAVA_OPTS for the service's JVM; WARM=N to post N other subscribers first (a warmed service);
# BITS=N for other bucket bits than the launcher's choice; STATS=1 to print Redis' INFO commandstats after the load;
# PERF=S to sample Redis with perf (call graphs) for S seconds from a third of the way into the load (guessed from
# N at 100,000/s) and print where its time goes: Redis' own functions carry their names (Debian's build exports
# them), Lua's internals show as addresses under lua_pcall.
# Also prints the service's and Redis' CPU (% of a core) every 0.25 s during the load ("t:redis%/service%"), and
# Redis' memory a subscriber after it (the base alone: no segments).
set -euo pipefail
N="${1:-1000000}"; WARM="${WARM:-0}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"; cd "$ROOT"
CP="target/quarkus-app/app/*:target/quarkus-app/lib/main/*"
D="$(mktemp -d)"; RPID=""; SPID=""
trap '[[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null || true; [[ -n "$RPID" ]] && kill "$RPID" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$D"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RP="$(free_port)"; HP="$(free_port)"
# The NDJSON bodies, as the benchmarks render them.
cat > "$D/Render.java" <<'JAVA'
public class Render {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]), offset = Integer.parseInt(a[2]);
    try (var out = new java.io.BufferedOutputStream(new java.io.FileOutputStream(a[1]), 1 << 20)) {
      for (int i = 0; i < n; i++) out.write(be.audiencematch.cli.SyntheticBase.ndjsonLine(offset + i).getBytes("UTF-8"));
    }
  }
}
JAVA
java -cp "$CP" "$D/Render.java" "$N" "$D/load.ndjson" 0
[[ "$WARM" -gt 0 ]] && java -cp "$CP" "$D/Render.java" "$WARM" "$D/warm.ndjson" 50000000
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" --hash-max-listpack-entries 1024 \
  --logfile "$D/redis.log" </dev/null >/dev/null 2>&1 &
RPID=$!
# The service refuses to start without its keys; a fresh checkout has none yet.
java -cp "$CP" be.audiencematch.cli.Cli ensure-keys
bits=8; while (( bits < 17 && (1 << bits) * 32 < N )); do bits=$((bits + 1)); done
# The launcher's upload limit for benchmarks: a 10M body is 3.3 GB, over the default 2 GB.
AUDIENCE_MATCH_BUCKET_BITS=${BITS:-$bits} AUDIENCE_MATCH_UPLOAD_MAX_BYTES=8589934592 \
  AUDIENCE_MATCH_REDIS_URL="redis://127.0.0.1:$RP" QUARKUS_HTTP_PORT="$HP" \
  java -Xmx2g ${JAVA_OPTS:-} -jar target/quarkus-app/quarkus-run.jar >"$D/service.log" 2>&1 &
SPID=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$HP/q/health/ready" && break; sleep 0.1; done
TOKEN="$(bin/audience-match token --role subscriber-feed --sub feed)"
post() { curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/x-ndjson" \
  -T "$1" "http://127.0.0.1:$HP/v1/subscribers/bulk"; }
[[ "$WARM" -gt 0 ]] && post "$D/warm.ndjson"
snapshot() {  # thread group and CPU ticks of every service thread, then Redis' ticks
  for t in /proc/"$SPID"/task/*; do
    printf '%s\t%s\n' "$(sed -E 's/[-#[:space:]]*[0-9]+$//' "$t/comm")" "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done
  printf 'redis\t%s\n' "$(sed 's/.*) //' /proc/"$RPID"/stat | awk '{print $12 + $13}')"
}
ticks() { sed 's/.*) //' /proc/"$1"/stat | awk '{print $12 + $13}'; }
used() { redis-cli -p "$RP" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }
mem_before="$(used)"
snapshot > "$D/before"; started=$(date +%s.%N)
( while true; do printf '%s %s %s\n' "$(date +%s.%N)" "$(ticks "$RPID")" "$(ticks "$SPID")"; sleep 0.25; done ) \
  > "$D/timeline" &
TL=$!
trap 'kill "$TL" 2>/dev/null || true; [[ -n "$SPID" ]] && kill "$SPID" 2>/dev/null || true;
  [[ -n "$RPID" ]] && kill "$RPID" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$D"' EXIT
PERFPID=""
if [[ -n "${PERF:-}" ]]; then
  ( sleep "$(( N / 300000 ))"; exec perf record -q -F 199 --call-graph dwarf,16384 -p "$RPID" -o "$D/perf.data" \
      -- sleep "$PERF" ) >/dev/null 2>&1 &
  PERFPID=$!
fi
post "$D/load.ndjson"
ended=$(date +%s.%N); snapshot > "$D/after"
kill "$TL" 2>/dev/null || true
python3 - "$D/timeline" <<'PY'
import os, sys
rows = [line.split() for line in open(sys.argv[1])]
hz = os.sysconf('SC_CLK_TCK')
out = [f"{float(b[0]) - float(rows[0][0]):.2f}:{(int(b[1]) - int(a[1])) * 100 / hz / (float(b[0]) - float(a[0])):.0f}/"
       f"{(int(b[2]) - int(a[2])) * 100 / hz / (float(b[0]) - float(a[0])):.0f}" for a, b in zip(rows, rows[1:])]
print("t:redis%/service%", " ".join(out))
PY
if [[ -n "$PERFPID" ]]; then
  wait "$PERFPID" || true
  echo "perf: Redis' time by function, callees included (top 30)"
  # perf lists a function once per name the binary is mapped under (redis-server, redis-check-rdb): summed here.
  perf report -i "$D/perf.data" --stdio --children --sort symbol 2>/dev/null | python3 -c '
import re, sys, collections
total = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+[0-9.]+%\s+\[.\] (\S+)", line)
    if m and not m.group(2).startswith(("0x", "_start", "__libc", "main", "aeMain")):
        total[m.group(2)] += float(m.group(1))
for name, share in total.most_common(30):
    print(f"{share:6.1f}%  {name}")' || true
fi
awk -v after="$(used)" -v before="$mem_before" -v n="$N" \
  'BEGIN { printf "redis bytes a subscriber: %.1f\n", (after - before) / n }'
if [[ -n "${STATS:-}" ]]; then redis-cli -p "$RP" info commandstats | tr -d '\r' | grep -E 'calls=[0-9]{3,}' || true; fi
python3 - "$D/before" "$D/after" "$N" "$started" "$ended" <<'PY'
import os, sys, collections
def read(path):
    totals = collections.Counter()
    for line in open(path):
        name, ticks = line.rstrip('\n').split('\t')
        group = ('C2' if name.startswith('C2 Comp') else 'C1' if name.startswith('C1 Comp') else
                 'GC' if 'GC' in name or name.startswith('G1') else 'event loops' if 'eventloo' in name else
                 'worker' if 'executor' in name else name)
        totals[group] += int(ticks)
    return totals
before, after, n = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
us = {g: (after[g] - before[g]) / os.sysconf('SC_CLK_TCK') * 1e6 / n for g in after}
print(f"rate {n / (float(sys.argv[5]) - float(sys.argv[4])):,.0f} subscribers/s; CPU µs a subscriber:")
for g, v in sorted(us.items(), key=lambda kv: -kv[1]):
    if v >= 0.02: print(f"  {g:14s} {v:5.2f}")
print(f"  {'service total':14s} {sum(v for g, v in us.items() if g != 'redis'):5.2f}")
PY
