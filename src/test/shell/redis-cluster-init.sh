#!/usr/bin/env bash
# The cluster-forming Job's script (k8s/base/redis/cluster-init-job.yaml), run as it is against six local Redis nodes:
# started before the nodes, it waits for all six, forms three primaries with a replica each and all 16384 slots;
# run again, it finds the cluster formed and changes nothing. The nodes listen on 127.0.0.21-26:6379 (loopback
# addresses, as pods have one each); shims map the pod names to them and drop TLS and the admin user, which the local
# nodes do not have. Needs redis-server and redis-cli. .ci/run calls it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work=$(mktemp -d)
cleanup() {
  local pidfile pid pids=()
  # Every node's pid first: a node removes its pid file as it shuts down, so reading it after a kill can fail.
  for pidfile in "$work"/node*/pid; do
    pid=$(cat "$pidfile" 2>/dev/null) && pids+=("$pid")
  done
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  # Wait until they are gone: the addresses are fixed, and a node still shutting down would answer the next run.
  for pid in ${pids[@]+"${pids[@]}"}; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "redis-cluster-init: FAILED: $*" >&2; exit 1; }

# The script: the Job's args block, de-indented.
awk '/^            - \|$/ {on=1; next} on && /^          [a-z]/ {exit} on {sub(/^              /, ""); print}' \
  "$root/k8s/base/redis/cluster-init-job.yaml" > "$work/init.sh"
grep -q -- '--cluster-replicas 1' "$work/init.sh" || fail "could not read the Job's script"

mkdir -p "$work/shim"
cat > "$work/shim/redis-cli" <<'SHIM'
#!/usr/bin/env bash
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tls) ;;
    --cacert|--user) shift ;;
    -h) shift; n=${1#audience-match-redis-}; n=${n%%.*}; args+=(-h "127.0.0.$((21 + n))") ;;
    *) args+=("$1") ;;
  esac
  shift
done
unset REDISCLI_AUTH
exec "$REAL_REDIS_CLI" "${args[@]}"
SHIM
cat > "$work/shim/getent" <<'SHIM'
#!/usr/bin/env bash
n=${2#audience-match-redis-}; n=${n%%.*}; echo "127.0.0.$((21 + n)) $2"
SHIM
cat > "$work/shim/cat" <<'SHIM'
#!/usr/bin/env bash
if [ "${1:-}" = /etc/redis/users/admin-password ]; then echo local; else exec /bin/cat "$@"; fi
SHIM
chmod +x "$work/shim/"*
export REAL_REDIS_CLI; REAL_REDIS_CLI=$(command -v redis-cli)

run_job() { PATH="$work/shim:$PATH" timeout 120 sh "$work/init.sh"; }

# Started before any node: it must wait for them.
run_job > "$work/first.log" 2>&1 &
job=$!
# The nodes start once the Job has found none (its first "waiting for" line), so that it surely waits for them.
for _ in $(seq 1 300); do grep -q 'waiting for audience-match-redis-' "$work/first.log" && break; sleep 0.1; done
for i in 0 1 2 3 4 5; do
  mkdir -p "$work/node$i"
  redis-server --bind "127.0.0.$((21 + i))" --port 6379 --cluster-enabled yes \
    --cluster-announce-ip "127.0.0.$((21 + i))" --cluster-config-file "$work/node$i/nodes.conf" \
    --cluster-node-timeout 2000 --dir "$work/node$i" --save '' --appendonly no \
    --daemonize yes --pidfile "$work/node$i/pid" --logfile "$work/node$i/log"
done
wait "$job" || { cat "$work/first.log" >&2; fail "the first run failed"; }
grep -q 'waiting for audience-match-redis-' "$work/first.log" || fail "the first run did not wait for the nodes"
# Not anchored at the line's start: redis-cli ends its last line with a colour reset (ESC [0m) and no newline after it,
# so the script's next line follows it on the same line of the log when the cluster was ok at once.
grep -q 'cluster formed$' "$work/first.log" || { cat "$work/first.log" >&2; fail "the first run did not form the cluster"; }
info=$("$REAL_REDIS_CLI" -h 127.0.0.21 cluster info)
grep -q '^cluster_state:ok' <<<"$info" || fail "cluster_state is not ok"
grep -q '^cluster_slots_assigned:16384' <<<"$info" || fail "not every slot is assigned"
# The replicas' roles reach every node's view by gossip a moment after cluster_state:ok: look for up to 30 s.
for _ in $(seq 1 300); do
  nodes=$("$REAL_REDIS_CLI" -h 127.0.0.21 cluster nodes)
  primaries=$(grep -c 'master' <<<"$nodes" || true)
  replicas=$(grep -c 'slave' <<<"$nodes" || true)
  [ "$primaries" = 3 ] && [ "$replicas" = 3 ] && break
  sleep 0.1
done
[ "$primaries" = 3 ] && [ "$replicas" = 3 ] || fail "$primaries primaries and $replicas replicas, not 3 and 3"
epoch_before=$("$REAL_REDIS_CLI" -h 127.0.0.21 cluster info | grep '^cluster_current_epoch')

# Run again: nothing to do, nothing changed.
run_job > "$work/second.log" 2>&1 || { cat "$work/second.log" >&2; fail "the second run failed"; }
grep -q 'cluster already formed' "$work/second.log" || fail "the second run did not find the cluster formed"
[ "$("$REAL_REDIS_CLI" -h 127.0.0.21 cluster info | grep '^cluster_current_epoch')" = "$epoch_before" ] \
  || fail "the second run changed the cluster"
echo "redis-cluster-init: formed 3 primaries + 3 replicas once, then left alone"
