#!/usr/bin/env bash
# Connection settings for the engines started by tests/infra/up.sh.
#   eval "$(bash tests/infra/env.sh)"   # export them into this shell
#   source tests/infra/env.sh           # same
# Integration tests fall back to these very values when the variables are unset.
# Variables already set in the environment win.
_infra_env() {
  local kv
  for kv in \
    "EXCHANGE_PG_URL=${EXCHANGE_PG_URL:-postgres://exchange:exchange@127.0.0.1:55432/exchange}" \
    "EXCHANGE_REDIS_URL=${EXCHANGE_REDIS_URL:-redis://127.0.0.1:56379}" \
    "EXCHANGE_KAFKA_BROKERS=${EXCHANGE_KAFKA_BROKERS:-127.0.0.1:59092}" \
    "EXCHANGE_OPENSEARCH_URL=${EXCHANGE_OPENSEARCH_URL:-http://127.0.0.1:59200}" \
    "EXCHANGE_AWS_ENDPOINT=${EXCHANGE_AWS_ENDPOINT:-http://127.0.0.1:55000}" \
    "AWS_REGION=${AWS_REGION:-us-east-1}" \
    "AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}" \
    "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}" \
    "EXCHANGE_JAEGER_OTLP_URL=${EXCHANGE_JAEGER_OTLP_URL:-http://127.0.0.1:54318}" \
    "EXCHANGE_JAEGER_QUERY_URL=${EXCHANGE_JAEGER_QUERY_URL:-http://127.0.0.1:56686}"; do
    echo "export ${kv%%=*}='${kv#*=}'"
  done
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  _infra_env
else
  eval "$(_infra_env)"
fi
unset -f _infra_env
