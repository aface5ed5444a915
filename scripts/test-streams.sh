#!/usr/bin/env bash
# `make test`'s suite in two concurrent streams. The xdist workers take every test that can
# share the machine; the `serial` ones (the backup host's one crontab, schemathesis) run one
# at a time in a pytest of their own beside them: no other test touches what they share.
# Integration tests partly wait on subprocesses and servers, so the extra stream costs little,
# and the suite takes as long as its longer stream instead of the sum of both. The serial stream's output is shown when it ends.
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
pytest -m serial "$@" >"$log" 2>&1 &
serial=$!
pytest -n "${TEST_WORKERS:-3}" --dist loadfile -m "not serial" "$@"
workers_rc=$?
wait "$serial"
serial_rc=$?
echo "--- the serial tests (run beside the workers) ---"
cat "$log"
if [ "$workers_rc" -ne 0 ] || [ "$serial_rc" -ne 0 ]; then
  echo "test-streams: failed (workers exit $workers_rc, serial exit $serial_rc)" >&2
  exit 1
fi
