#!/usr/bin/env bash
# bench-cluster.sh: pledges through nginx to two PostgreSQL-backed instances,
# beside pgbench doing one single-row INSERT per transaction into a table of
# the same shape, in the same run, on this machine.
#
#   BENCH_RATE=10500 BENCH_DURATION=10s deploy/bench-cluster.sh
#
# The target is 10,000 acknowledged pledges per second; the default offers a
# little more, since the measured window also holds the wait for the last
# answers (10,000/s offered for 10 s reads as about 9,990/s).
#
# Uses a scratch database "pledge_bench" (dropped and created). Needs
# PostgreSQL on 127.0.0.1:5432, nginx and pgbench (postgresql-contrib).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATE="${BENCH_RATE:-10500}"
DURATION="${BENCH_DURATION:-10s}"
SECONDS_RUN="${DURATION%s}"
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
DB=postgres://postgres@127.0.0.1:5432/pledge_bench?sslmode=disable

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS pledge_bench" -c "CREATE DATABASE pledge_bench"
echo "synchronous_commit = $("${PSQL[@]}" -d pledge_bench -tAc 'SHOW synchronous_commit')"

deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
trap 'deploy/local-cluster-stop.sh >/dev/null 2>&1 || true' EXIT
INSTANCES=2 PLEDGE_LIMIT_IP=0 PLEDGE_LIMIT_PHONE=0 PLEDGE_DATABASE_URL="$DB" deploy/local-cluster.sh --background
bin=.cluster/pledge

echo "=== portal: nginx -> 2 instances -> PostgreSQL, $RATE/s for $DURATION"
"$bin" loadtest --target http://127.0.0.1:8080 --rate "$RATE" --duration "$DURATION" | tee .cluster/portal.txt
# Where the time went inside the instances, from their metrics: how long a
# pledge spent in the portal (handler start to answer), and the batches.
for port in 8081 8082; do
	curl -sf "http://127.0.0.1:$port/metrics" | awk -v port="$port" '
		/^pledge_http_request_duration_seconds_(sum|count)\{.*route="POST \/api\/v1\/campaigns\/\{slug\}\/pledges"/ {
			if ($1 ~ /_sum/) hs = $NF; else hn = $NF }
		/^pledge_intake_batch_size_sum / { bs = $2 }
		/^pledge_intake_batch_size_count / { bn = $2 }
		/^pledge_intake_commit_duration_seconds_sum / { cs = $2 }
		END { if (hn && bn) printf "instance %s: %d pledges, %.1f ms each in the portal on average; %d batches of %.0f, a commit %.1f ms\n", port, hn, 1000 * hs / hn, bn, bs / bn, 1000 * cs / bn }' || true
done
deploy/local-cluster-stop.sh
sleep 1

echo "=== reference: pgbench, 64 clients, one single-row INSERT per transaction, ${DURATION}"
"${PSQL[@]}" -d pledge_bench <<'SQL'
CREATE TABLE bench_pledges (LIKE pledges INCLUDING DEFAULTS) PARTITION BY HASH (campaign_id);
DO $$ BEGIN FOR i IN 0..7 LOOP
  EXECUTE format('CREATE TABLE bench_pledges_p%s PARTITION OF bench_pledges FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i);
END LOOP; END $$;
ALTER TABLE bench_pledges ADD PRIMARY KEY (campaign_id, number);
CREATE UNIQUE INDEX ON bench_pledges (campaign_id, phone_hash);
CREATE SEQUENCE bench_number;
SQL
cat >.cluster/pgbench.sql <<'SQL'
\set n random(1, 2000000000)
INSERT INTO bench_pledges (campaign_id, number, name, phone_hash, phone_masked, region, lang, created_at)
VALUES (1, nextval('bench_number'), 'Load Tester', sha256(:n::text::bytea), '******0000', 'KOTA', 'en', now())
ON CONFLICT DO NOTHING;
SQL
pgbench -h 127.0.0.1 -U postgres -n -c 64 -j 2 -T "$SECONDS_RUN" -f .cluster/pgbench.sql pledge_bench | tee .cluster/pgbench.txt

portal=$(sed -n 's/^RESULT throughput=\([0-9.]*\).*/\1/p' .cluster/portal.txt)
ref=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' .cluster/pgbench.txt | head -n 1)
awk -v p="$portal" -v r="$ref" 'BEGIN { printf "RATIO portal/pgbench = %.2f (portal %.0f pledges/s through nginx, pgbench %.0f single-row transactions/s)\n", p / r, p, r }'
