#!/usr/bin/env bash
# bench-limits.sh: pledges through nginx to two PostgreSQL-backed instances
# with the rate limits on and shared through Redis (per client address far
# above the load, 5 per mobile number), at BENCH_RATE (default 5000) for 10 s.
#
#   BENCH_RATE=5000 deploy/bench-limits.sh
#
# Compare with deploy/bench-cluster.sh, which runs with the limits off.
# Uses a scratch database "pledge_bench" (dropped and created) and clears the
# limits' keys in Redis. Needs PostgreSQL, Redis and nginx on this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RATE="${BENCH_RATE:-5000}"
psql -h 127.0.0.1 -U postgres -q -d postgres -c "DROP DATABASE IF EXISTS pledge_bench" -c "CREATE DATABASE pledge_bench"
redis-cli -u redis://127.0.0.1:6379/0 --scan --pattern 'pledge:rl:*' | xargs -r redis-cli -u redis://127.0.0.1:6379/0 del >/dev/null
deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
trap 'deploy/local-cluster-stop.sh >/dev/null 2>&1 || true' EXIT
INSTANCES=2 PLEDGE_LIMIT_IP=100000000 PLEDGE_LIMIT_PHONE=5 PLEDGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pledge_bench?sslmode=disable deploy/local-cluster.sh --background >/dev/null
.cluster/pledge loadtest --target http://127.0.0.1:8080 --rate "$RATE" --duration 10s | grep RESULT
