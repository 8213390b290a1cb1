#!/usr/bin/env bash
# chaos.sh: under load through nginx to two PostgreSQL-backed instances,
# kill -9 one instance (and start it again), then restart PostgreSQL itself.
# Afterwards every acknowledged pledge must be stored, nothing counted twice,
# and the cluster must take pledges again without anyone restarting it.
#
#   deploy/chaos.sh            # about 40 seconds; restarts the local PostgreSQL
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATE="${CHAOS_RATE:-1000}"
DB=postgres://postgres@127.0.0.1:5432/pledge_chaos?sslmode=disable
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)
PGVER=$(ls /etc/postgresql | head -n 1)

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS pledge_chaos" -c "CREATE DATABASE pledge_chaos"
deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
trap 'deploy/local-cluster-stop.sh >/dev/null 2>&1 || true' EXIT
INSTANCES=2 PLEDGE_LIMIT_IP=0 PLEDGE_LIMIT_PHONE=0 PLEDGE_DATABASE_URL="$DB" deploy/local-cluster.sh --background
mapfile -t pids <.cluster/pledge.pids

echo "=== load: $RATE/s for 25s through nginx"
.cluster/pledge loadtest --target http://127.0.0.1:8080 --rate "$RATE" --duration 25s >.cluster/chaos-load.txt &
load=$!

sleep 5
echo "=== kill -9 the instance on 8082"
kill -9 "${pids[1]}"
sleep 3
PLEDGE_ADDR=127.0.0.1:8082 PLEDGE_DATABASE_URL="$DB" PLEDGE_TRUSTED_PROXIES=127.0.0.1 PLEDGE_MIGRATE=false \
	PLEDGE_LIMIT_IP=0 PLEDGE_LIMIT_PHONE=0 PLEDGE_LOG_LEVEL=warn .cluster/pledge serve >>.cluster/logs/pledge-8082.log 2>&1 &
echo $! >>.cluster/pledge.pids
sleep 4
echo "=== restart PostgreSQL"
pg_ctlcluster --skip-systemctl-redirect "$PGVER" main restart
sleep 2

wait "$load" || true
cat .cluster/chaos-load.txt

# The service resumed by itself: both instances ready and taking pledges.
for port in 8081 8082; do
	for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
	curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" || { echo "chaos: instance $port not ready after the restart" >&2; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"name":"After Chaos","phone":"6000000001","region":"KOTA"}' \
	http://127.0.0.1:8080/api/v1/campaigns/bilaspur-voter-pledge/pledges)
[[ "$code" == 201 ]] || { echo "chaos: a pledge after the restart got $code" >&2; exit 1; }
# nginx gives each request its own ID: one a client sends does not reach the
# portal's logs and mail jobs.
rid=$(curl -s -o /dev/null -D - -H 'X-Request-Id: chosen-by-client' http://127.0.0.1:8080/healthz |
	sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([A-Za-z0-9_-]*\).*/\1/p')
[[ -n "$rid" && "$rid" != chosen-by-client ]] || { echo "chaos: the request ID through nginx is '$rid'" >&2; exit 1; }

acked=$(sed -n 's/^RESULT .*success=\([0-9]*\).*/\1/p' .cluster/chaos-load.txt)
read -r rows counted last distinct minn maxn <<<"$("${PSQL[@]}" -d pledge_chaos -tA -F ' ' -c "
	WITH c AS (SELECT id FROM campaigns WHERE slug = 'bilaspur-voter-pledge')
	SELECT count(*), (SELECT sum(n) FROM region_counts WHERE campaign_id = (SELECT id FROM c)),
	       (SELECT last_number FROM campaign_seq WHERE campaign_id = (SELECT id FROM c)),
	       count(DISTINCT number), min(number), max(number)
	FROM pledges WHERE campaign_id = (SELECT id FROM c)")"
echo "acknowledged during load: $acked (+1 after); stored rows $rows, counted $counted, last number $last, numbers $minn..$maxn ($distinct distinct)"
ok=true
[[ "$rows" -ge $((acked + 1)) ]] || { echo "chaos: acknowledged pledges are missing" >&2; ok=false; }
[[ "$rows" == "$counted" && "$rows" == "$last" && "$rows" == "$distinct" && "$minn" == 1 && "$maxn" == "$rows" ]] ||
	{ echo "chaos: counts, numbers and rows disagree" >&2; ok=false; }
if [[ "$rows" -gt $((acked + 1)) ]]; then
	echo "chaos: note: $((rows - acked - 1)) pledges stored whose answer never arrived (cut connections)"
fi
$ok && echo "chaos: ok"
