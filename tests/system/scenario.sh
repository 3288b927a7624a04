#!/bin/bash
# The end-to-end scenario, run as root INSIDE the booted container by closedpaw-systest.service
# (after multi-user.target), over the real system bus, against the package as installed.
# Each step prints "ok - ..." or "not ok - ..." with what it saw; the number of failures goes
# to $out/result, which the host reads after the container powers off.
#
# Adding a daemon (broker, front): put its steps in a new section below, next to the vault's,
# and add its units to the "units" check at the top.
set -uo pipefail
out=/var/lib/closedpaw-systest
mkdir -p "$out"
exec >"$out/log" 2>&1

vault_unit=closedpaw-vaultd.service
vault_bus=(org.closedpaw.Vault1 /org/closedpaw/Vault1 org.closedpaw.Vault1)
access_id=3f1c2a9e6b7d4c58a0e2b1d4c6f8a902   # MESSAGE_ID of vault access records

failures=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; failures=$((failures + 1)); }
# check DESCRIPTION COMMAND...: the command must succeed; its output is shown when it does not.
check() {
  local desc=$1 output
  shift
  if output=$("$@" 2>&1); then ok "$desc"; else fail "$desc"; printf '    | %s\n' "$output"; fi
}
# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [[ "$2" == "$3" ]]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
prop() { systemctl show -p "$2" --value "$1"; }
main_pid() { prop "$vault_unit" MainPID; }
# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}
as_user() {  # USER COMMAND...: with the user's own groups, like a login would have
  local u=$1
  shift
  setpriv --reuid="$u" --regid="$u" --init-groups --reset-env -- "$@"
}

echo "# closedpaw system test, $(systemd --version | head -1)"

# --- Installation: users, groups, files, ordering --------------------------------------------
for u in closedpaw closedpaw-vault; do
  check "sysusers created user $u" getent passwd "$u"
done
for g in closedpaw-users closedpaw-approvers closedpaw-admins; do
  check "sysusers created group $g" getent group "$g"
done
check "tmpfiles copied the default vault.toml to /etc/closedpaw" \
  cmp /usr/share/closedpaw/vault.toml /etc/closedpaw/vault.toml
check "closedpaw.target is active" systemctl is-active closedpaw.target
check "$vault_unit is active" systemctl is-active "$vault_unit"
finish() {
  echo "# $failures failed"
  journalctl --sync
  echo "$failures" >"$out/result"
  sync
  exit 0
}
# Every later step talks to the vault; without it each would wait for D-Bus activation to time out.
if ! systemctl is-active -q "$vault_unit"; then
  fail "the vault did not start; not running the remaining steps"
  systemctl status --no-pager "$vault_unit"
  finish
fi

keygen=closedpaw-vault-keygen.service
expect_eq "the keygen unit ran (its condition held on first boot) and succeeded" \
  "yes success 0" "$(prop $keygen ConditionResult) $(prop $keygen Result) $(prop $keygen ExecMainStatus)"
keygen_done=$(prop $keygen ExecMainExitTimestampMonotonic)
vault_start=$(prop "$vault_unit" ExecMainStartTimestampMonotonic)
if ((keygen_done > 0 && keygen_done <= vault_start)); then
  ok "the key was created ($keygen_done us) before the vault started ($vault_start us)"
else
  fail "ordering: keygen finished at $keygen_done us, vault started at $vault_start us"
fi
expect_eq "the master key is root-owned, 0600" "root 600" "$(stat -c '%U %a' /etc/closedpaw/vault.key)"
check "the vault is ordered after dbus.socket" bash -c "systemctl show -p After $vault_unit | grep -qw dbus.socket"
check "the vault received the key as a credential" test -s /run/credentials/$vault_unit/vault.key
check "the vault's user cannot read the key file" \
  bash -c "! setpriv --reuid=closedpaw-vault --regid=closedpaw-vault --clear-groups cat /etc/closedpaw/vault.key"
expect_eq "systemd-analyze verify is silent on the installed units" "" \
  "$(systemd-analyze verify closedpaw.target $vault_unit closedpaw-vault-keygen.service 2>&1)"
expect_eq "sd_notify STATUS reached systemd" "Serving, 0 secrets" "$(prop "$vault_unit" StatusText)"

# --- Confinement, live ---------------------------------------------------------------------
pid=$(main_pid)
vault_uid=$(id -u closedpaw-vault)
status=$(cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k { $1 = ""; print substr($0, 2) }' <<<"$status"; }
expect_eq "vaultd runs as closedpaw-vault (real, effective, saved, fs uid)" \
  "$vault_uid $vault_uid $vault_uid $vault_uid" "$(field Uid | tr -s '\t ' ' ')"
expect_eq "vaultd has no capabilities (effective, permitted, bounding)" \
  "0000000000000000 0000000000000000 0000000000000000" "$(field CapEff) $(field CapPrm) $(field CapBnd)"
expect_eq "vaultd has no_new_privs and a seccomp filter" "1 2" "$(field NoNewPrivs) $(field Seccomp)"
check "vaultd has its own network namespace (PrivateNetwork=)" \
  test "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/1/ns/net)"
check "in vaultd's mount namespace /usr is read-only even for root (ProtectSystem=strict)" \
  bash -c "! nsenter -t $pid -m touch /usr/closedpaw-probe"
check "in vaultd's mount namespace /home is hidden (ProtectHome=)" \
  bash -c "! nsenter -t $pid -m ls /home/ >/dev/null 2>&1 || [[ -z \$(nsenter -t $pid -m ls -A /home/) ]]"
check "systemd-analyze security rates the running vault at or below 1.5" \
  systemd-analyze security --threshold=15 "$vault_unit"

# --- The real system bus: busctl, closedpawctl, bus policy ------------------------------------
check "busctl introspects org.closedpaw.Vault1" \
  bash -c "busctl introspect ${vault_bus[*]:0:2} | grep -q '^\.Retrieve'"
check "root stores a secret with closedpawctl" bash -c "printf 's3cret-value' | closedpawctl vault set api-key"
expect_eq "root reads it back" "s3cret-value" "$(closedpawctl vault get api-key 2>&1)"
expect_eq "busctl reads the Count property" "u 1" \
  "$(busctl get-property "${vault_bus[@]}" Count 2>&1)"

useradd --no-create-home --shell /usr/sbin/nologin cp-mallory
useradd --no-create-home --shell /usr/sbin/nologin --groups closedpaw-users cp-alice
alice_uid=$(id -u cp-alice)
out_m=$(as_user cp-mallory closedpawctl vault list 2>&1)
rc=$?
if [[ $rc -eq 3 && "$out_m" == *org.freedesktop.DBus.Error.AccessDenied* ]]; then
  ok "a user outside the allowed groups is refused by the bus policy (exit 3, AccessDenied)"
else
  fail "mallory's vault list: exit $rc, output: $out_m"
fi
out_m=$(setpriv --reuid=cp-mallory --regid=cp-mallory --clear-groups busctl call "${vault_bus[@]}" List 2>&1)
rc=$?
# busctl shows the bus's org.freedesktop.DBus.Error.AccessDenied as "Access denied"; a refusal
# by the vault itself would show the vault's message instead.
if [[ $rc -ne 0 && "$out_m" == "Call failed: Access denied" ]]; then
  ok "the bus policy also refuses busctl for that user (Access denied)"
else
  fail "mallory's busctl call: exit $rc, output: $out_m"
fi
check "a member of closedpaw-users passes the bus policy (vault list)" as_user cp-alice closedpawctl vault list
out_a=$(as_user cp-alice closedpawctl vault get api-key 2>&1)
rc=$?
if [[ $rc -eq 3 ]]; then ok "the vault itself refuses root's secret to that member (exit 3)"
else fail "alice's get of root's secret: exit $rc, output: $out_a"; fi

# --- Journal: structured access records --------------------------------------------------------
denied_alice() {
  journalctl -q -o cat MESSAGE_ID=$access_id VAULT_RESULT=denied CALLER_UID="$alice_uid" | grep -q .
}
check "the denial is in the journal (MESSAGE_ID=$access_id VAULT_RESULT=denied CALLER_UID=$alice_uid)" \
  wait_until 10 denied_alice
check "root's granted Retrieve is in the journal with its priority and unit" bash -c \
  "journalctl -q -o json MESSAGE_ID=$access_id VAULT_METHOD=Retrieve VAULT_RESULT=granted CALLER_UID=0 \
   _SYSTEMD_UNIT=$vault_unit | grep -q '\"PRIORITY\":\"6\"'"
check "the access log file is in the state directory, owned by closedpaw-vault" \
  bash -c "[[ \$(stat -c %U /var/lib/closedpaw-vault/access.log) == closedpaw-vault ]]"

# --- Lifecycle: restart, clean stop, D-Bus activation --------------------------------------------
old=$(main_pid)
check "systemctl restart $vault_unit" systemctl restart "$vault_unit"
new=$(main_pid)
check "restart gave a new process ($old -> $new)" test "$old" != "$new"
expect_eq "the secret survives the restart" "s3cret-value" "$(closedpawctl vault get api-key 2>&1)"

check "systemctl stop $vault_unit" systemctl stop "$vault_unit"
expect_eq "SIGTERM stops the vault cleanly (exit 0, result success)" "0 success" \
  "$(prop "$vault_unit" ExecMainStatus) $(prop "$vault_unit" Result)"
logged_stopped() { journalctl -q -o cat -u "$vault_unit" _PID="$new" | grep -qx stopped; }
check "the vault logged that it stopped" wait_until 5 logged_stopped
expect_eq "the vault is inactive" "inactive" "$(systemctl is-active "$vault_unit")"
expect_eq "a call while it is stopped activates it through D-Bus and systemd" "s3cret-value" \
  "$(closedpawctl vault get api-key 2>&1)"
expect_eq "the vault is active again" "active" "$(systemctl is-active "$vault_unit")"

# --- Watchdog: a hung vault is restarted --------------------------------------------------------
mkdir -p /run/systemd/system/$vault_unit.d
cat >/run/systemd/system/$vault_unit.d/50-systest-watchdog.conf <<'EOF'
[Service]
WatchdogSec=3s
TimeoutAbortSec=2s
EOF
systemctl daemon-reload
check "restart with WatchdogSec=3s" systemctl restart "$vault_unit"
restarts=$(prop "$vault_unit" NRestarts)
pid=$(main_pid)
sleep 5
expect_eq "the event loop keeps a 3 s watchdog fed for 5 s (same process, no restart)" \
  "$pid $restarts" "$(main_pid) $(prop "$vault_unit" NRestarts)"
kill -STOP "$pid"
restarted() { [[ $(main_pid) != "$pid" && $(main_pid) != 0 && $(systemctl is-active "$vault_unit") == active ]]; }
check "after SIGSTOP the watchdog fires and systemd restarts the vault" wait_until 30 restarted
expect_eq "systemd counted one restart" "$((restarts + 1))" "$(prop "$vault_unit" NRestarts)"
logged_watchdog() { journalctl -q -u "$vault_unit" | grep -q 'Watchdog timeout'; }
check "the journal says why (Watchdog timeout)" wait_until 5 logged_watchdog
expect_eq "the secret survives the watchdog restart" "s3cret-value" "$(closedpawctl vault get api-key 2>&1)"
rm -r /run/systemd/system/$vault_unit.d
systemctl daemon-reload

# --- scripts/up's systemd path (its install step needs a compiler; the rest runs here) -------
up_out=$(CLOSEDPAW_PREFIX=/usr /usr/local/libexec/closedpaw-systest/up-systemd --activate-only 2>&1)
rc=$?
if [[ $rc -eq 0 && $up_out == *"ClosedPaw is up as system services"*"closedpaw-vaultd: Serving, 1 secrets"* ]]; then
  ok "scripts/up-systemd --activate-only (sysusers, tmpfiles, reloads, restart) reports the vault up"
else
  fail "scripts/up-systemd --activate-only: exit $rc"
  printf '    | %s\n' "$up_out"
fi
expect_eq "the vault is active after it" "active" "$(systemctl is-active "$vault_unit")"

# --- The target ---------------------------------------------------------------------------------
check "systemctl stop closedpaw.target" systemctl stop closedpaw.target
# The target is ordered after the vault, so it stops first; the vault's stop job may still run.
vault_inactive() { [[ $(systemctl is-active "$vault_unit") == inactive ]]; }
check "stopping the target stops the vault (PartOf=)" wait_until 20 vault_inactive
check "systemctl start closedpaw.target" systemctl start closedpaw.target
expect_eq "starting the target starts the vault" "active" "$(systemctl is-active "$vault_unit")"
expect_eq "the secret is still there" "s3cret-value" "$(closedpawctl vault get api-key 2>&1)"

finish
