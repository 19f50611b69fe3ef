#!/usr/bin/env bash
# The local server trusts every loopback login, so a wrong password could never fail. This adds one role
# that must authenticate with a password (scram-sha-256), for the tests of login failures. Idempotent.
set -euo pipefail
HBA=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW hba_file")
LINE="host all tapline_auth 127.0.0.1/32 scram-sha-256"
if ! grep -qF "$LINE" "$HBA"; then
  # Must come before the trust lines: the first matching line wins.
  awk -v line="$LINE" '!done && /^(local|host)/ { print line; done = 1 } { print }' "$HBA" > "$HBA.tapline" && cat "$HBA.tapline" > "$HBA" && rm "$HBA.tapline"
  psql -h 127.0.0.1 -U postgres -tAc "SELECT pg_reload_conf()" >/dev/null
fi
psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tapline_auth') THEN
    CREATE ROLE tapline_auth LOGIN PASSWORD 'tapline-auth-secret';
  END IF;
END $$;
SQL
echo "postgres role tapline_auth requires a password"
