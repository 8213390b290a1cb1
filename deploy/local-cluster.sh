#!/usr/bin/env bash
# local-cluster.sh runs the portal as a cluster on this machine: three
# PostgreSQL-backed instances (ports 8081-8083) sharing rate limits through
# Redis, behind Debian's nginx on http://127.0.0.1:8080. Ctrl-C stops it all.
# It refuses to start while something listens on 8080 or an instance's port.
#
#   deploy/local-cluster.sh                     # PostgreSQL database "pledge_cluster"
#   PLEDGE_DATABASE_URL=postgres://... deploy/local-cluster.sh
#   INSTANCES=2 PLEDGE_LIMIT_IP=0 deploy/local-cluster.sh   # e.g. for a load test
#
# Needs PostgreSQL on 127.0.0.1:5432 and nginx (apt-get install nginx-light);
# Redis on 127.0.0.1:6379 is used when it answers. With --background it starts
# everything and returns; deploy/local-cluster-stop.sh stops it. The instances'
# process IDs are in $RUN/pledge.pids (in port order) and nginx's in
# $RUN/nginx.pid from the start, and whatever fails on the way stops what was
# started already.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

background=false
[[ "${1:-}" == "--background" ]] && background=true

DB="${PLEDGE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pledge_cluster?sslmode=disable}"
REDIS="${PLEDGE_REDIS_URL:-redis://127.0.0.1:6379/0}"
# Absolute, as local-cluster-stop.sh finds it: nginx's command line names it.
RUN=$(realpath -m -- "${CLUSTER_DIR:-$PWD/.cluster}")
INSTANCES="${INSTANCES:-3}"
[[ "$INSTANCES" =~ ^[1-3]$ ]] || { echo "local-cluster: INSTANCES must be 1, 2 or 3" >&2; exit 1; }
ports=$(seq 8081 $((8080 + INSTANCES)))

command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || {
	echo "local-cluster: nginx is missing; install it with: apt-get install -y nginx-light" >&2
	exit 1
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# listeners PORT prints the sockets listening on PORT (any address), with
# their processes where ss may show them; fails when there are none.
listeners() {
	if command -v ss >/dev/null; then
		ss -Hltnp "sport = :$1" | grep .
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && echo "127.0.0.1:$1 accepts connections"
	fi
}
# Every port must be free. An instance whose port is taken exits at once,
# but /readyz on that port would answer from the other process, and nginx
# would send pledges there; a second nginx on 8080 fails to start.
busy=false
for port in 8080 $ports; do
	if listeners "$port" >/dev/null; then
		echo "local-cluster: port $port is in use already:" >&2
		listeners "$port" | sed 's/^/  /' >&2
		busy=true
	fi
done
$busy && {
	echo "local-cluster: nothing was started; stop what holds the port (a cluster started from here: deploy/local-cluster-stop.sh)" >&2
	exit 1
}

if [[ "$DB" == *"/pledge_cluster"* ]]; then
	psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pledge_cluster'" | grep -q 1 ||
		psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE pledge_cluster"
fi
if ! redis-cli -u "$REDIS" ping >/dev/null 2>&1; then
	echo "local-cluster: Redis does not answer at $REDIS; rate limits will be per instance" >&2
fi

rm -rf "$RUN/cache" # a fresh database must not be shown stale counts
mkdir -p "$RUN/logs" "$RUN/cache"

# From here on, any exit but the end of a --background start stops what was
# started, as local-cluster-stop.sh does: each instance is listed in
# pledge.pids as it starts, and nginx writes nginx.pid itself.
: >"$RUN/pledge.pids"
stop() { CLUSTER_DIR="$RUN" deploy/local-cluster-stop.sh || true; }
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# deploy/nginx.conf lists three instances; keep the ones that run. Here
# nginx shares the machine's cores with the instances and PostgreSQL: one
# worker does the proxying with less CPU than one per core.
awk -v n="$INSTANCES" '!/server 127\.0\.0\.1:808[1-3]/ || substr($2, 11, 4) - 8080 <= n' deploy/nginx.conf |
	sed 's/^worker_processes auto;/worker_processes 1;/' >"$RUN/nginx.conf"
# Each instance gets its share of the cores (GOMAXPROCS), unless set: Go
# runtimes that each think they own every core spend CPU on one another.
procs="${GOMAXPROCS:-$(( $(nproc) / INSTANCES > 1 ? $(nproc) / INSTANCES : 1 ))}"
go build -o "$RUN/pledge" ./cmd/pledge
# migrate logs to migrate.log; when it fails, show what this run wrote there.
log="$RUN/logs/migrate.log"
from=1
[[ -f "$log" ]] && from=$(($(wc -l <"$log") + 1))
if ! "$RUN/pledge" migrate --db "$DB" 2>>"$log"; then
	echo "local-cluster: pledge migrate failed; from $log:" >&2
	tail -n "+$from" "$log" | tail -n 20 | sed 's/^/  /' >&2
	exit 1
fi

for port in $ports; do
	GOMAXPROCS="$procs" PLEDGE_ADDR="127.0.0.1:$port" PLEDGE_DATABASE_URL="$DB" PLEDGE_REDIS_URL="$REDIS" \
		PLEDGE_TRUSTED_PROXIES=127.0.0.1 PLEDGE_BASE_URL=http://127.0.0.1:8080 PLEDGE_MIGRATE=false PLEDGE_LOG_LEVEL="${PLEDGE_LOG_LEVEL:-warn}" \
		"$RUN/pledge" serve >>"$RUN/logs/pledge-$port.log" 2>&1 &
	echo "$!" >>"$RUN/pledge.pids"
done
mapfile -t pids <"$RUN/pledge.pids"

# running PID: the process exists and has not exited (a zombie has).
running() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ "${stat%% *}" != [ZX] ]]
}
# exited PORT: an instance stopped; say so with the end of its log.
exited() {
	echo "local-cluster: the instance on port $1 exited; the end of $RUN/logs/pledge-$1.log:" >&2
	tail -n 5 "$RUN/logs/pledge-$1.log" | sed 's/^/  /' >&2
	exit 1
}
i=0
for port in $ports; do
	pid=${pids[i]}
	i=$((i + 1))
	for _ in $(seq 1 50); do
		running "$pid" || exited "$port"
		curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null && break
		sleep 0.1
	done
	curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null || { echo "local-cluster: instance $port did not start; see $RUN/logs" >&2; exit 1; }
done
# Ready, and the instances' own answers: each is still running, and the
# socket on its port is its own (ss shows this user's processes).
i=0
for port in $ports; do
	pid=${pids[i]}
	i=$((i + 1))
	running "$pid" || exited "$port"
	if command -v ss >/dev/null && ! ss -Hltnp "sport = :$port" | grep -q "pid=$pid,"; then
		echo "local-cluster: port $port is not held by its instance (process $pid):" >&2
		ss -Hltnp "sport = :$port" | sed 's/^/  /' >&2
		exit 1
	fi
done
if ! "$NGINX" -p "$RUN" -c "$RUN/nginx.conf"; then
	echo "local-cluster: nginx did not start (see above, and $RUN/logs/error.log); stopping the instances" >&2
	exit 1
fi

echo "local-cluster: http://127.0.0.1:8080/ ($INSTANCES instances from 8081, logs in $RUN/logs)"
if $background; then
	trap - EXIT INT TERM
	echo "local-cluster: stop with: ${CLUSTER_DIR:+CLUSTER_DIR=$RUN }deploy/local-cluster-stop.sh"
	exit 0
fi
wait
