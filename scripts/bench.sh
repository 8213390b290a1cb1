#!/usr/bin/env bash
# bench.sh measures the pledge portal's throughput against a hello-world
# reference server on the same machine, in the same run.
#
#   BENCH_RATE=10500 BENCH_DURATION=10s scripts/bench.sh
#
# The target is 10,000 acknowledged pledges per second; the default offers a
# little more, since the measured window also holds the wait for the last
# answers (10,000/s offered for 10 s reads as about 9,995/s).
#
# Both servers are built from this checkout. The portal runs on a fresh
# SQLite database in a temporary directory, which is removed afterwards.
# Exits non-zero if the portal's public count did not grow by exactly the
# number of accepted pledges.
set -euo pipefail

RATE="${BENCH_RATE:-10500}"
DURATION="${BENCH_DURATION:-10s}"
HELLO_ADDR=127.0.0.1:8090
PORTAL_ADDR=127.0.0.1:18080
CAMPAIGN=bilaspur-voter-pledge

cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in go curl awk; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d)"
hello_pid=""
serve_pid=""
load_pid=""

cleanup() {
	local rc=$?
	for pid in "$load_pid" "$hello_pid" "$serve_pid"; do
		if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [[ $rc -ne 0 && -s "$tmp/serve.log" ]]; then
		echo "--- last lines of pledge serve log:" >&2
		tail -n 20 "$tmp/serve.log" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# http_code URL prints the status code URL answers with, or 000.
http_code() {
	curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$1" || true
}

# wait_200 URL PID SECONDS waits until URL answers 200 while PID is alive.
wait_200() {
	local url=$1 pid=$2 deadline=$((SECONDS + $3))
	while [[ "$(http_code "$url")" != 200 ]]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "bench: server for $url exited before it was ready" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			echo "bench: $url not ready after $3s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# port_free ADDR fails if something already answers HTTP on ADDR.
port_free() {
	if [[ "$(http_code "http://$1/")" != 000 ]]; then
		echo "bench: something is already listening on $1" >&2
		return 1
	fi
}

# loadtest OUT ARGS... runs "pledge loadtest ARGS...", saves its output in OUT
# and prints it. It runs in the background so that a signal to this script
# is acted on at once rather than after the load test.
loadtest() {
	local out=$1 rc=0
	shift
	"$tmp/pledge" loadtest "$@" >"$out" &
	load_pid=$!
	wait "$load_pid" || rc=$?
	load_pid=""
	cat "$out"
	return "$rc"
}

# throughput FILE prints the throughput from the RESULT line in FILE.
throughput() {
	awk '/^RESULT / { for (i = 2; i <= NF; i++) if ($i ~ /^throughput=/) { sub(/^throughput=/, "", $i); t = $i } }
		END { if (t == "") exit 1; print t }' "$1"
}

echo "bench: building into $tmp" >&2
go build -o "$tmp/pledge" ./cmd/pledge
go build -o "$tmp/hello" ./bench/hello

echo "=== hello-world reference ($HELLO_ADDR, $RATE/s for $DURATION)"
port_free "$HELLO_ADDR"
"$tmp/hello" -addr "$HELLO_ADDR" &
hello_pid=$!
wait_200 "http://$HELLO_ADDR/" "$hello_pid" 10
loadtest "$tmp/hello.out" --hello --target "http://$HELLO_ADDR" \
	--rate "$RATE" --duration "$DURATION"
kill -TERM "$hello_pid"
wait "$hello_pid" || true
hello_pid=""

echo
echo "=== pledge portal ($PORTAL_ADDR, campaign $CAMPAIGN, $RATE/s for $DURATION)"
port_free "$PORTAL_ADDR"
PLEDGE_LOG_LEVEL=warn PLEDGE_LIMIT_IP=0 "$tmp/pledge" serve --addr "$PORTAL_ADDR" --db "$tmp/bench.db" \
	>"$tmp/serve.log" 2>&1 &
serve_pid=$!
wait_200 "http://$PORTAL_ADDR/readyz" "$serve_pid" 30
load_rc=0
loadtest "$tmp/portal.out" --target "http://$PORTAL_ADDR" --campaign "$CAMPAIGN" \
	--rate "$RATE" --duration "$DURATION" || load_rc=$?
kill -TERM "$serve_pid"
serve_rc=0
wait "$serve_pid" || serve_rc=$?
serve_pid=""
if ((serve_rc != 0)); then
	echo "bench: pledge serve exited with status $serve_rc after SIGTERM" >&2
fi

echo
hello_tp="$(throughput "$tmp/hello.out")" || { echo "bench: no RESULT line from hello run" >&2; exit 1; }
portal_tp="$(throughput "$tmp/portal.out")" || { echo "bench: no RESULT line from portal run" >&2; exit 1; }
awk -v p="$portal_tp" -v h="$hello_tp" 'BEGIN {
	if (h > 0) printf "RATIO portal/hello throughput = %.3f (portal %.1f/s, hello %.1f/s)\n", p / h, p, h
	else printf "RATIO portal/hello throughput = n/a (hello throughput %s)\n", h
}'

if ! grep -q '^RESULT .*count_matches=true' "$tmp/portal.out"; then
	echo "bench: FAIL: portal count does not match accepted pledges" >&2
	exit 1
fi
if ((load_rc != 0 || serve_rc != 0)); then
	exit 1
fi
