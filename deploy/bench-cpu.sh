#!/usr/bin/env bash
# bench-cpu.sh: where the CPU of one pledge goes on this machine, and what
# the same path costs with nothing behind it.
#
#   BENCH_RATE=10500 BENCH_DURATION=10s deploy/bench-cpu.sh
#
# Runs (1) the load generator -> nginx -> two PostgreSQL-backed instances,
# as deploy/bench-cluster.sh does, then (2) the same generator -> the same
# nginx -> two bench/hello servers in the instances' place, each at the same
# offered rate, and prints the CPU microseconds per request of each process
# group, read from /proc before and after. Per-request cost decides how much
# load the machine takes while every process shares its cores; (2) is the
# floor no portal change can go below. The cost per request falls as the
# rate rises (each wake-up finds more work), so compare the two at one rate.
#
# Uses a scratch database "pledge_bench" (dropped and created). Needs
# PostgreSQL on 127.0.0.1:5432 and nginx.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RATE="${BENCH_RATE:-10500}"
DURATION="${BENCH_DURATION:-10s}"
DB=postgres://postgres@127.0.0.1:5432/pledge_bench?sslmode=disable
RUN=.cluster
TCK=$(getconf CLK_TCK)

psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS pledge_bench" -c "CREATE DATABASE pledge_bench"
deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
hello_pids=()
cleanup() {
	for pid in "${hello_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	deploy/local-cluster-stop.sh >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ticks PID... prints the CPU clock ticks (user + system) the processes used.
ticks() {
	local sum=0 t pid
	for pid in "$@"; do
		t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
		sum=$((sum + t))
	done
	echo "$sum"
}

# pgticks prints "PID TICKS" for every PostgreSQL process.
pgticks() {
	local pid
	for pid in $(pgrep -x postgres); do
		awk -v pid="$pid" '{print pid, $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true
	done
}

# measure LABEL SERVER_PIDS -- LOADTEST_ARGS... runs the generator and prints
# the CPU per acknowledged request of generator, nginx, servers, PostgreSQL.
# PostgreSQL's is summed over its processes at the end, less what each had
# at the start: a connection opened during the run counts in full, one
# closed during it not at all (the portal keeps its connections open).
measure() {
	local label=$1 servers=$2
	shift 3
	local ng s0 n0 p0 out n rate gen
	ng=$(pgrep -x nginx | tr '\n' ' ')
	p0=$(mktemp)
	pgticks >"$p0"
	# shellcheck disable=SC2086 # word splitting of the PID lists is meant
	s0=$(ticks $servers) n0=$(ticks $ng)
	out=$(mktemp)
	# `times` in the subshell reports its one child: the generator.
	(
		"$RUN/pledge" loadtest --target http://127.0.0.1:8080 --rate "$RATE" --duration "$DURATION" "$@" >"$out"
		times
	) >"$out.times"
	# shellcheck disable=SC2086
	local s1=$(ticks $servers) n1=$(ticks $ng)
	local pgdelta
	pgdelta=$(pgticks | awk 'NR == FNR { start[$1] = $2; next } { d += $2 - start[$1] } END { print d + 0 }' "$p0" -)
	rm -f "$p0"
	n=$(sed -n 's/^RESULT .*success=\([0-9]*\).*/\1/p' "$out")
	rate=$(sed -n 's/^RESULT throughput=\([0-9.]*\).*/\1/p' "$out")
	grep '^RESULT' "$out" | sed "s/^/$label: /"
	gen=$(tail -n 1 "$out.times" | awk '{
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		print (u[1] * 60 + u[2] + s[1] * 60 + s[2])
	}')
	awk -v n="$n" -v tck="$TCK" -v gen="$gen" -v s="$((s1 - s0))" -v ng="$((n1 - n0))" -v p="$pgdelta" \
		-v label="$label" -v rate="$rate" -v cores="$(nproc)" 'BEGIN {
		us = 1e6 / n
		g = gen * us; sv = s / tck * us; x = ng / tck * us; q = p / tck * us; t = g + sv + x + q
		printf "%s CPU per request: generator %.0f us, nginx %.0f us, servers %.0f us, PostgreSQL %.0f us; total %.0f us\n", label, g, x, sv, q, t
		printf "%s at %.0f/s that is %.2f of %d cores\n", label, rate, t * rate / 1e6, cores
	}'
	rm -f "$out" "$out.times"
}

INSTANCES=2 PLEDGE_LIMIT_IP=0 PLEDGE_LIMIT_PHONE=0 PLEDGE_DATABASE_URL="$DB" \
	deploy/local-cluster.sh --background >/dev/null
echo "=== portal: nginx -> 2 instances -> PostgreSQL, $RATE/s for $DURATION"
measure portal "$(tr '\n' ' ' <"$RUN/pledge.pids")" --

# The same nginx and ports, with bench/hello where the instances were.
xargs kill -TERM <"$RUN/pledge.pids"
rm -f "$RUN/pledge.pids"
go build -o "$RUN/hello" ./bench/hello
sleep 1
procs=$(($(nproc) / 2 > 1 ? $(nproc) / 2 : 1))
for port in 8081 8082; do
	GOMAXPROCS="$procs" "$RUN/hello" -addr "127.0.0.1:$port" &
	hello_pids+=($!)
done
for port in 8081 8082; do
	for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
done
echo "=== floor: nginx -> 2 bench/hello, $RATE/s for $DURATION"
measure hello "${hello_pids[*]}" -- --hello
