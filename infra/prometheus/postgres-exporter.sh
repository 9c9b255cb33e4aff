#!/usr/bin/env sh
# Run PostgreSQL's Prometheus exporter on 127.0.0.1:9187 for the local stack
# (the `postgres` job of prometheus.yml), against the server of POSTGRES_URL.
# When the exporter is not installed this says how to get it and exits 0, so
# a supervisor treats it as done rather than crashing:
#   sudo apt-get install --no-install-recommends prometheus-postgres-exporter
# (with /usr/sbin/policy-rc.d answering 101 if you do not want Debian to start
# its own instance as a system service as well).
set -eu

EXPORTER=$(command -v prometheus-postgres-exporter || command -v postgres_exporter || true)
if [ -z "$EXPORTER" ]; then
  echo "postgres exporter: not installed, not started (apt-get install prometheus-postgres-exporter)"
  exit 0
fi

# postgresql+psycopg://... (SQLAlchemy) -> postgresql://...; the exporter
# connects to the maintenance database and reads every other from there.
url=$(printf '%s' "${POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#; s#/+$##')
case "$url" in
  *\?*) dsn="$url" ;;
  *) dsn="$url/postgres?sslmode=disable" ;;
esac
DATA_SOURCE_NAME="$dsn" exec "$EXPORTER" --web.listen-address="${POSTGRES_EXPORTER_ADDRESS:-127.0.0.1:9187}"
