#!/usr/bin/env bash
# The Docker path, from a fresh clone to a running, migrated stack. Idempotent: re-running it brings
# up whatever is down, applies pending migrations and waits for health again; data volumes are kept.
# Without Docker use `npm run dev` instead (docs/infrastructure-setup.md).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nsetup-infrastructure: %s\n' "$*" >&2; exit 1; }

say "tools"
command -v docker >/dev/null || fail "docker is not installed (https://docs.docker.com/get-docker/), or use: npm run dev"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  fail "neither 'docker compose' (v2 plugin) nor docker-compose is installed"
fi
docker info >/dev/null 2>&1 || fail "the Docker engine is not reachable (is Docker Desktop / dockerd running?)"
echo "docker: $(docker --version)"
echo "compose: $("${compose[@]}" version | head -1)"
if command -v node >/dev/null; then
  echo "node: $(node -v) (npm run verify needs 22.12+)"
else
  echo "node: not found; the stack runs in containers, but npm run verify needs Node 22.12+ on the host"
fi

say ".env"
if [ -f .env ]; then
  echo ".env exists: kept as it is"
else
  cp .env.example .env
  echo "created .env from .env.example"
fi

# Waits until every named service's container reports healthy (or, for a one-shot, has exited 0).
wait_healthy() {
  local service id state
  for service in "$@"; do
    printf 'waiting for %s' "$service"
    for _ in $(seq 120); do
      id=$("${compose[@]}" ps -q "$service")
      state=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo starting)
      case "$state" in
        healthy) echo " healthy"; continue 2 ;;
        exited | dead) echo; "${compose[@]}" logs --tail 50 "$service"; fail "$service stopped" ;;
      esac
      printf '.'
      sleep 2
    done
    echo; "${compose[@]}" logs --tail 50 "$service"; fail "$service did not become healthy in 4 minutes"
  done
}

say "data services"
"${compose[@]}" up -d --build postgres redis upstash jaeger otel-collector prometheus grafana
wait_healthy postgres redis upstash

say "migrations"
"${compose[@]}" run --rm migrations

say "api and web"
"${compose[@]}" up -d api web
wait_healthy api web

set -a
# shellcheck disable=SC1091
. ./.env
set +a
say "ready"
cat <<EOF
api     http://127.0.0.1:${API_PORT:-8787}      (/healthz, /readyz, /docs)
site    http://127.0.0.1:${WEB_PORT:-4321}
jaeger  http://127.0.0.1:${JAEGER_UI_PORT:-16686}
upstash http://127.0.0.1:${UPSTASH_ENDPOINT_PORT:-8079}      (Upstash REST protocol, token UPSTASH_TOKEN)
prometheus http://127.0.0.1:${PROMETHEUS_PORT:-9090}  (SLO rules, alerts)
grafana http://127.0.0.1:${GRAFANA_PORT:-3000}      (MeatyMusic API dashboard)

Check it:  npm run verify -- --docker
Logs:      ${compose[*]} logs -f api
Stop:      ${compose[*]} down        (add -v to delete the data volumes)
EOF
