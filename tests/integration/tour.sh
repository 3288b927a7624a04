#!/usr/bin/env bash
# Runs `scripts/up --tour` end to end (all three daemons, real runsc) in scratch directories.
set -uo pipefail
[[ $(id -u) -eq 0 ]] || { echo "SKIP: the tour switches between users: needs root (CI runs as root)"; exit 77; }
command -v runsc >/dev/null || { echo "SKIP: runsc is not installed"; exit 77; }
scratch=$(mktemp -d /tmp/cptest-tour-XXXXXX)
# --one-file-system: never follow a mount a failed run may have left under the scratch dir.
trap 'rm -rf --one-file-system "$scratch"' EXIT
chmod 755 "$scratch"
export CLOSEDPAW_UP_RUN=$scratch/run CLOSEDPAW_UP_STATE=$scratch/state CLOSEDPAW_BUILDDIR=$CLOSEDPAW_BUILD_ROOT
# Not exec: the shell must outlive the tour so that the trap removes the scratch dir.
"$CLOSEDPAW_SOURCE_ROOT/scripts/up" --tour
rc=$?
# Once scripts/up has returned, nothing it started may still run: the bus and the daemons
# are started with configs under the scratch dir.
if left=$(pgrep -a -f "$scratch/"); then
  echo "FAIL: still running after scripts/up returned:"
  echo "$left"
  pkill -KILL -f "$scratch/"
  exit 1
fi
exit $rc
