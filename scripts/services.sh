#!/usr/bin/env bash
# services.sh makes sure the services the tests need answer: PostgreSQL on
# 127.0.0.1:5432 and Redis on 127.0.0.1:6379. It starts one that is down
# (Debian's pg_ctlcluster, redis-server) and fails when it still cannot be
# reached.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! pg_up; then
	echo "services: PostgreSQL is down; starting it" >&2
	if command -v pg_ctlcluster >/dev/null; then
		for v in $(ls /etc/postgresql 2>/dev/null); do
			pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
		done
	fi
	for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "services: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
echo "services: PostgreSQL ready"

redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
if ! redis_up; then
	echo "services: Redis is down; starting it" >&2
	if command -v redis-server >/dev/null; then
		mkdir -p /var/lib/redis /var/log/redis
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log || true
	fi
	for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
redis_up || { echo "services: Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
echo "services: Redis ready"
