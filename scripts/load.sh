#!/usr/bin/env bash
# make load: the 签到 callback, the real bot against a minimal reference
# handler on the same Redis, paired rounds; then the bot alone, one corp
# against two (half the callbacks to each corp's path, each signed with its
# own app's keys). The servers share core 0; the load generator and Redis
# share core 1 (taskset), as on a two-core host.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null || { echo "load: redis-server is required (apt-get install redis-server)"; exit 1; }
core0=() core1=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then core0=(taskset -c 0) core1=(taskset -c 1); fi

dir=$(mktemp -d)
go build -o "$dir/partybot" ./cmd/partybot
"${core1[@]}" redis-server --port 0 --unixsocket "$dir/redis.sock" --save "" --appendonly no --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
for _ in $(seq 50); do [ -S "$dir/redis.sock" ] && break; sleep 0.1; done
"${core0[@]}" "$dir/partybot" bench serve -redis "$dir/redis.sock" -bot 127.0.0.1:18080 -min 127.0.0.1:18081 \
  >"$dir/serve.log" 2>&1 &
serve=$!
# Stop everything, wait for Redis to exit (it removes its socket and pid
# file on the way out), then remove the directory.
cleanup() {
  kill "$@" 2>/dev/null || true
  redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do [ -e "$dir/redis.sock" ] || break; sleep 0.1; done
  rm -rf "$dir" 2>/dev/null || true
}
trap 'cleanup $serve' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18080/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf http://127.0.0.1:18080/readyz >/dev/null || { echo "load: the bot did not start:"; cat "$dir/serve.log"; exit 1; }
# The go-workwx SDK's handler, built from its own module (partybot does not
# depend on it); skipped, with a note, when the module proxy cannot serve it.
ref=()
if (cd scripts/workwxref && go build -o "$dir/workwxref" .) 2>"$dir/workwxref.build"; then
  "${core0[@]}" "$dir/workwxref" -listen 127.0.0.1:18082 -redis "$dir/redis.sock" \
    -token testToken -aes-key jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C >"$dir/workwxref.log" 2>&1 &
  refpid=$!
  trap 'cleanup $serve $refpid' EXIT
  for _ in $(seq 100); do curl -sf http://127.0.0.1:18082/readyz >/dev/null 2>&1 && break; sleep 0.1; done
  ref=(-ref 127.0.0.1:18082)
else
  echo "load: go-workwx reference not built (module proxy?); comparing with the minimal handler only"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), redis $(redis-server --version | cut -d' ' -f3)"
"${core1[@]}" "$dir/partybot" bench drive -bot 127.0.0.1:18080 -min 127.0.0.1:18081 "${ref[@]}" "$@"
echo "two corps (issue #27): the same bot, all callbacks to /wecom/callback vs half to /wecom/callback/partner"
"${core1[@]}" "$dir/partybot" bench corps -bot 127.0.0.1:18080 -pid "$serve" "$@"
