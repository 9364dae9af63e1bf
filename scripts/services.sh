#!/usr/bin/env bash
# Start Redis, RabbitMQ and MariaDB (or MySQL) where they are down, then wait until each responds.
#
# Hosts and ports come from LIVEQUIZ_REDIS_URL, LIVEQUIZ_RABBITMQ_URL and LIVEQUIZ_MYSQL_URL,
# the settings the code reads, and default to 127.0.0.1 on the standard ports. A service that
# is already up is left alone, so the script is safe to run at any time. A service that is down
# is started only when its host is this machine, and the start commands serve the standard
# ports only. LIVEQUIZ_SERVICES_TIMEOUT_S (default 60) bounds the wait for each service.
# Exit status: 0 when all three respond, 1 when one does not, 2 on an invalid setting.
set -euo pipefail

timeout_s="${LIVEQUIZ_SERVICES_TIMEOUT_S:-60}"
if ! [[ "$timeout_s" =~ ^[0-9]+$ ]]; then
  echo "services: invalid LIVEQUIZ_SERVICES_TIMEOUT_S '$timeout_s': expected whole seconds" >&2
  exit 2
fi

# Print "HOST PORT" for a URL such as amqp://user:password@host:port/vhost.
host_and_port() {
  local url="$1" default_port="$2" authority host port
  authority="${url#*://}"
  authority="${authority%%/*}"
  authority="${authority##*@}"
  if [[ "$authority" == \[* ]]; then
    host="${authority%%]*}"
    host="${host#[}"
    port="${authority#*]}"
  else
    host="${authority%%:*}"
    port="${authority#"$host"}"
  fi
  port="${port#:}"
  echo "${host:-127.0.0.1} ${port:-$default_port}"
}

is_local() {
  [[ "$1" == "127.0.0.1" || "$1" == "localhost" || "$1" == "::1" ]]
}

tcp_open() {
  timeout 2 bash -c "exec 3<>'/dev/tcp/$1/$2'" 2>/dev/null
}

# Redis replies to PING with +PONG, or with -NOAUTH when it requires a password: both mean up.
redis_responds() {
  local reply
  reply="$(timeout 2 bash -c "exec 3<>'/dev/tcp/$1/$2'; printf 'PING\r\n' >&3; head -c 7 <&3" \
    2>/dev/null)" || return 1
  [[ "$reply" == "+PONG"* || "$reply" == "-NOAUTH"* ]]
}

start_redis() {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

start_rabbitmq() {
  rabbitmq-server -detached
  timeout "$timeout_s" rabbitmqctl await_startup >/dev/null
}

start_mysql() {
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

# ensure NAME URL DEFAULT_PORT CHECK START: start the service if it is down, then wait for it.
ensure() {
  local name="$1" url="$2" default_port="$3" check="$4" start="$5" host port waited=0
  read -r host port < <(host_and_port "$url" "$default_port")
  if "$check" "$host" "$port"; then
    echo "services: $name is up at $host:$port"
    return 0
  fi
  if ! is_local "$host"; then
    echo "services: $name is not responding at $host:$port, and that host is not this machine," \
      "so it cannot be started here: start it there or fix the URL" >&2
    return 1
  fi
  echo "services: $name is down at $host:$port: starting it"
  if ! "$start"; then
    echo "services: starting $name failed: see its log" >&2
    return 1
  fi
  until "$check" "$host" "$port"; do
    if ((waited >= timeout_s)); then
      echo "services: $name did not respond at $host:$port within $timeout_s s after start" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "services: $name is up at $host:$port after ${waited} s"
}

status=0
ensure redis "${LIVEQUIZ_REDIS_URL:-redis://127.0.0.1:6379/0}" 6379 redis_responds start_redis ||
  status=1
ensure rabbitmq "${LIVEQUIZ_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}" 5672 \
  tcp_open start_rabbitmq || status=1
ensure mysql "${LIVEQUIZ_MYSQL_URL:-mysql+pymysql://root:@127.0.0.1:3306/test}" 3306 \
  tcp_open start_mysql || status=1
exit "$status"
