#!/usr/bin/env bash
# Make sure the real Redis and PostgreSQL the test suite talks to are up on localhost.
# Starts local ones when the binaries are installed; otherwise says exactly what is missing.
set -u
REDIS_PORT=${TEST_REDIS_PORT:-6379}
PG_PORT=${TEST_PG_PORT:-5432}
missing=()

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 \
  || (exec 3<>/dev/tcp/127.0.0.1/"$REDIS_PORT") 2>/dev/null; }
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "ensure-services: starting redis-server on 127.0.0.1:$REDIS_PORT"
    mkdir -p /tmp/newswatch-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /tmp/newswatch-redis --logfile /tmp/newswatch-redis/redis.log
    for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
  fi
  redis_up || missing+=("Redis on 127.0.0.1:$REDIS_PORT (install redis-server, or set TEST_REDIS_URL)")
fi

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | head -n1)
    echo "ensure-services: starting PostgreSQL $version cluster 'main'"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || pg_ctlcluster "$version" main start
    for _ in $(seq 1 100); do pg_up && break; sleep 0.1; done
  fi
  pg_up || missing+=("PostgreSQL on 127.0.0.1:$PG_PORT with trust auth for user postgres (install postgresql, or set TEST_POSTGRES_URL)")
fi

if ! command -v docker-compose >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # Optional: lets the compose test run `docker-compose config` (no engine needed).
  (apt-get install -y -qq docker-compose >/dev/null 2>&1 \
    || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq docker-compose >/dev/null 2>&1)) \
    || echo "ensure-services: docker-compose not installed; the compose test checks structure only"
fi

if { [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null; } \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  # Optional: the web view's browser test drives Debian's headless Chromium (skips without it).
  pkgs="chromium chromium-driver fonts-noto-color-emoji"
  (apt-get install -y -qq $pkgs >/dev/null 2>&1 \
    || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $pkgs >/dev/null 2>&1)) \
    || echo "ensure-services: chromium not installed; the web view's browser test will skip"
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-services: the test suite needs real servers that are not running:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi
echo "ensure-services: Redis and PostgreSQL are up"
