#!/bin/sh
# Create chargepay's namespace (with its retention) and register its search attributes.
# Run by the temporal-init service once the server is healthy; safe to run again.
set -eu

: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace update --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
    --retention "$RETENTION"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
    --retention "$RETENTION"
fi

# A new namespace reaches every server's namespace cache a few seconds after it is created.
attempt=0
until existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" \
    -n "$NAMESPACE" 2>/dev/null); do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "namespace $NAMESPACE did not become visible" >&2
    exit 1
  fi
  sleep 1
done

# SEARCH_ATTRIBUTES is "Name=Type Name=Type ..." (workflows/search_attributes.py).
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
      --name "$name" --type "$type"
  fi
done
echo "namespace $NAMESPACE ready (retention $RETENTION)"
