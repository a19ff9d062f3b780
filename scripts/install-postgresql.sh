#!/usr/bin/env sh
# Make a PostgreSQL server available for the test suite's PostgreSQL half (tests/pg_server.py starts
# its own throwaway server with initdb + pg_ctl; nothing is configured system-wide).
# Idempotent: does nothing when initdb is already on the machine.
set -eu

for candidate in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "$candidate" ]; then
        echo "install-postgresql: $candidate is already installed"
        exit 0
    fi
done
if command -v initdb >/dev/null 2>&1; then
    echo "install-postgresql: $(command -v initdb) is already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-postgresql: installing postgresql with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
    exit 0
fi

cat <<'MSG'
install-postgresql: PostgreSQL is not installed and this script cannot install it
(it needs root and apt-get). Install it yourself, for example:
    sudo apt-get update && sudo apt-get install -y postgresql
or set BLETHER_PG_BINDIR=/path/to/postgresql/bin. Without it the PostgreSQL tests are skipped.
MSG
exit 0
