#!/usr/bin/env bash
# The store's contract tests run against a real PostgreSQL on 127.0.0.1:5432 (trust auth).
# Machines of this project's kind start one; where none answers, install and start it here so
# the tests never skip.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL not found: installing it (apt-get)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
# Trust local TCP connections: this database exists only for the tests.
if ! grep -q "interview-bot tests" "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust # interview-bot tests' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && break; sleep 1; done
ready || { echo "PostgreSQL did not start" >&2; exit 1; }
su postgres -c "psql -h 127.0.0.1 -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" | grep -q 1 \
  || su postgres -c "createdb -h 127.0.0.1 test"
