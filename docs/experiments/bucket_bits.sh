#!/bin/bash
# How the bucket bits weigh on a large base's identifier index (docs/performance.md, "Bucket bits at 10M"): writes
# the index entries of N subscribers (two families, e-mail and phone) into a Redis of its own as a bulk load writes
# them, a chunk of 524,288 subscribers at a time, one HSET per bucket per chunk, with 8-byte fields and decimal
# numbers, and prints the memory and the HSET time per entry. A prototype of the layout, not the service.
#   docs/experiments/bucket_bits.sh BITS [N]      e.g. 16 10000000, then 17 10000000
set -euo pipefail
BITS="$1"; N="${2:-10000000}"; CHUNK=524288
D="$(mktemp -d)"; RPID=""
trap '[[ -n "$RPID" ]] && kill "$RPID" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$D"' EXIT
P="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --port "$P" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" --hash-max-listpack-entries 1024 \
  --lua-time-limit 60000 --logfile "$D/redis.log" </dev/null >/dev/null 2>&1 &
RPID=$!
for _ in $(seq 1 100); do redis-cli -p "$P" ping >/dev/null 2>&1 && break; sleep 0.1; done
used() { redis-cli -p "$P" info memory | tr -d '\r' | awk -F: '/^used_memory:/{print $2}'; }
before="$(used)"
# One call per chunk and family: an HSET of k fresh entries into every bucket (k = the chunk's share of a bucket).
SCRIPT='local bits, k, family, first = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
for b = 0, 2 ^ bits - 1 do
  local args = {}
  for j = 1, k do
    args[2 * j - 1] = struct.pack(">I4I4", math.random(0, 2147483647), math.random(0, 2147483647))
    args[2 * j] = tostring(first + j)
  end
  redis.call("HSET", "am:i:" .. family .. ":" .. string.format("%05x", b), unpack(args))
end
return 1'
chunks=$(( (N + CHUNK - 1) / CHUNK )); k=$(( CHUNK >> BITS )); (( k >= 1 )) || k=1
for ((c = 0; c < chunks; c++)); do
  for family in e p; do redis-cli -p "$P" eval "$SCRIPT" 0 "$BITS" "$k" "$family" $((c * CHUNK)) >/dev/null; done
done
after="$(used)"
usec="$(redis-cli -p "$P" info commandstats | tr -d '\r' | awk -F'[=,]' '/^cmdstat_hset:/{print $4}')"
python3 - "$BITS" "$chunks" "$k" "$before" "$after" "$usec" <<'PY'
import sys
bits, chunks, k, before, after, usec = (int(x) for x in sys.argv[1:])
entries = chunks * 2 * (1 << bits) * k
print(f"bits {bits}: {entries:,} entries, {entries / 2 / (1 << bits):.0f} a bucket, "
      f"{(after - before) / entries:.2f} bytes and {usec / entries:.3f} µs of HSET an entry")
PY
