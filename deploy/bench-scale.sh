#!/usr/bin/env bash
# bench-scale.sh: does intake slow down when the table is big? Runs the same
# load through nginx to two instances twice in one run: on an empty campaign,
# then on one that already holds ROWS pledges (default 20 million, loaded
# with one server-side INSERT ... SELECT and the indexes built afterwards),
# and compares throughput and the stats endpoint's latency.
#
#   ROWS=20000000 BENCH_RATE=10500 BENCH_DURATION=10s deploy/bench-scale.sh
#   REUSE=1 deploy/bench-scale.sh   # measure again on the databases of a previous run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS="${ROWS:-20000000}"
RATE="${BENCH_RATE:-10500}"
DURATION="${BENCH_DURATION:-10s}"
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)

run() { # run DBNAME LABEL: load through the cluster and time the stats endpoint
	local db=$1 label=$2
	deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
	sleep 1
	INSTANCES=2 PLEDGE_LIMIT_IP=0 PLEDGE_LIMIT_PHONE=0 \
		PLEDGE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" deploy/local-cluster.sh --background >/dev/null
	echo "=== $label: $RATE/s for $DURATION"
	.cluster/pledge loadtest --target http://127.0.0.1:8080 --rate "$RATE" --duration "$DURATION" --seed $RANDOM | tee ".cluster/$label.txt" | grep -E 'throughput|latency|count check'
	# The stats endpoint straight from an instance (no proxy cache), 200 times.
	local start end
	start=$(date +%s%N)
	for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:8081/api/v1/campaigns/bilaspur-voter-pledge/stats?x=$RANDOM"; done
	end=$(date +%s%N)
	echo "stats: $(((end - start) / 200000)) us per request (curl, sequential, from an instance)" | tee -a ".cluster/$label.txt"
	deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
}

mkdir -p .cluster
go build -o .cluster/pledge ./cmd/pledge
if [[ "${REUSE:-}" != 1 ]]; then
for db in pledge_scale_empty pledge_scale_big; do
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done
for db in pledge_scale_empty pledge_scale_big; do
	# Start once so the schema and the demo campaign exist.
	PLEDGE_LOG_LEVEL=warn .cluster/pledge serve --addr 127.0.0.1:18999 --db "postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" &
	pid=$!
	for _ in $(seq 1 50); do curl -sf -o /dev/null http://127.0.0.1:18999/readyz && break; sleep 0.1; done
	kill -TERM $pid
	wait $pid
done

echo "=== loading $ROWS pledges into pledge_scale_big"
time "${PSQL[@]}" -d pledge_scale_big <<SQL
SET synchronous_commit = off;
SELECT id AS campaign FROM campaigns WHERE slug = 'bilaspur-voter-pledge' \gset
SET maintenance_work_mem = '1GB';
ALTER TABLE pledges DROP CONSTRAINT pledges_pkey;
DROP INDEX pledges_phone;
INSERT INTO pledges (campaign_id, number, name, phone_hash, phone_masked, email, region, lang, created_at)
SELECT :campaign, g, 'Citizen ' || g, sha256(('preload ' || g)::bytea), '******' || lpad((g % 10000)::text, 4, '0'), NULL,
       (ARRAY['KOTA','TAKHATPUR','BILHA','BILASPUR','BELTARA','MASTURI'])[1 + g % 6], 'hi', now() - interval '1 day'
FROM generate_series(1, $ROWS) g;
ALTER TABLE pledges ADD PRIMARY KEY (campaign_id, number);
CREATE UNIQUE INDEX pledges_phone ON pledges (campaign_id, phone_hash);
UPDATE campaign_seq SET last_number = $ROWS WHERE campaign_id = :campaign;
INSERT INTO region_counts (campaign_id, region, n)
SELECT :campaign, region, count(*) FROM pledges WHERE campaign_id = :campaign GROUP BY region
ON CONFLICT (campaign_id, region) DO UPDATE SET n = excluded.n;
VACUUM ANALYZE pledges;
CHECKPOINT;
SQL
fi

run pledge_scale_empty empty
run pledge_scale_big "rows-$ROWS"
e=$(sed -n 's/^RESULT throughput=\([0-9.]*\).*/\1/p' .cluster/empty.txt)
b=$(sed -n 's/^RESULT throughput=\([0-9.]*\).*/\1/p' ".cluster/rows-$ROWS.txt")
awk -v e="$e" -v b="$b" -v n="$ROWS" 'BEGIN { printf "RATIO throughput with %d rows / empty = %.2f (%.0f vs %.0f pledges/s)\n", n, b / e, b, e }'
