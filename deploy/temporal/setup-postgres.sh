#!/bin/sh
# Create or migrate Temporal's two PostgreSQL databases (run by temporal-admin-tools), and
# create the (empty) database of chargepay's ledger.
# Idempotent: `create` tolerates an existing database, `update-schema` applies only what is new,
# so the same step upgrades the schema when the server image tag is raised.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"
}

until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT"
  sleep 2
done

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) versioned="$SCHEMA_DIR/temporal/versioned" ;;
    *) versioned="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  sql --db "$db" create || echo "database $db already exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$versioned"
done
echo "Temporal schema is up to date"

# chargepay's ledger (receipts, refunds) gets a database of its own on the same server; its
# tables are chargepay's Alembic migrations, which the worker applies at start.
sql --db chargepay_ledger create || echo "database chargepay_ledger already exists"
