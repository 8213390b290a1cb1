#!/usr/bin/env bash
# services.sh makes sure the services the tests need answer: PostgreSQL on
# 127.0.0.1:5432. It starts a local cluster that is down (Debian's
# pg_ctlcluster) and fails when the service still cannot be reached.
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
