#!/bin/bash
# The end-to-end scenario, run as root INSIDE the booted container by closedpaw-systest.service
# (after multi-user.target), over the real system bus, against the package as installed.
# Each step prints "ok - ..." or "not ok - ..." with what it saw; the number of failures goes
# to $out/result, which the host reads after the container powers off.
#
# Sections: installation, the vault (confinement, bus policy, journal, lifecycle, watchdog), the
# broker (socket activation, confinement), closedpawd (bus, a low action run in runsc, a high
# action approved by another user across a restart, audit log and journal, watchdog), then
# scripts/up-systemd and the target. A new daemon adds a section and its units to the checks at
# the top.
set -uo pipefail
out=/var/lib/closedpaw-systest
mkdir -p "$out"
exec >"$out/log" 2>&1

vault_unit=closedpaw-vaultd.service
vault_bus=(org.closedpaw.Vault1 /org/closedpaw/Vault1 org.closedpaw.Vault1)
access_id=3f1c2a9e6b7d4c58a0e2b1d4c6f8a902   # MESSAGE_ID of vault access records
front_unit=closedpawd.service
front_bus=(org.closedpaw.ClosedPaw1 /org/closedpaw/ClosedPaw1 org.closedpaw.ClosedPaw1.Manager)
audit_id=c52e9f0a1b3d4e6f8a7b9c0d1e2f3a4b    # MESSAGE_ID of closedpawd's audit entries
broker_unit=closedpaw-brokerd.service
broker_socket_unit=closedpaw-brokerd.socket
workspace=/var/lib/closedpaw-broker/workspaces/default

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
main_pid() { prop "${1:-$vault_unit}" MainPID; }
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
check "tmpfiles kept the broker.toml written before boot (runsc_extra_args)" \
  grep -q '^runsc_extra_args = \["--ignore-cgroups"\]' /etc/closedpaw/broker.toml
check "closedpaw.target is active" systemctl is-active closedpaw.target
for u in "$vault_unit" "$front_unit" "$broker_socket_unit"; do
  check "$u is active" systemctl is-active "$u"
done
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
  "$(systemd-analyze verify closedpaw.target $vault_unit closedpaw-vault-keygen.service \
     $front_unit $broker_unit $broker_socket_unit 2>&1)"
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

# --- The broker: socket activation and confinement -----------------------------------------------
expect_eq "the broker's socket is root:closedpaw 0660" "root closedpaw 660" \
  "$(stat -c '%U %G %a' /run/closedpaw/broker.sock)"
expect_eq "the socket unit triggers the broker" "$broker_unit" "$(prop $broker_socket_unit Triggers)"
# closedpawd asks the broker for its runtime as it starts, so the broker was activated at boot.
# Stopped, it stays stopped while its socket keeps listening, until the next connection.
check "systemctl stop $broker_unit" systemctl stop "$broker_unit"
expect_eq "after a stop the broker is inactive and its socket still listens" "inactive active" \
  "$(systemctl is-active $broker_unit) $(systemctl is-active $broker_socket_unit)"
broker_active() { [[ $(systemctl is-active "$broker_unit") == active ]]; }
# A run through closedpawd connects to the socket; that connection starts the broker (below).

# --- closedpawd on the real system bus -----------------------------------------------------------
front_ready() { [[ $(prop "$front_unit" StatusText) == "Serving, "*" skills" ]]; }
check "closedpawd reports ready with its skills (sd_notify STATUS)" front_ready
echo "# closedpawd: $(prop "$front_unit" StatusText)"
pid=$(main_pid "$front_unit")
front_uid=$(id -u closedpaw)
status=$(cat "/proc/$pid/status")
expect_eq "closedpawd runs as closedpaw (real, effective, saved, fs uid)" \
  "$front_uid $front_uid $front_uid $front_uid" "$(field Uid | tr -s '\t ' ' ')"
expect_eq "closedpawd has no capabilities (effective, permitted, bounding)" \
  "0000000000000000 0000000000000000 0000000000000000" "$(field CapEff) $(field CapPrm) $(field CapBnd)"
expect_eq "closedpawd has no_new_privs and a seccomp filter" "1 2" "$(field NoNewPrivs) $(field Seccomp)"
check "closedpawd has its own network namespace (PrivateNetwork=)" \
  test "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/1/ns/net)"
check "systemd-analyze security rates the running closedpawd at or below 1.5" \
  systemd-analyze security --threshold=15 "$front_unit"

check "busctl introspects org.closedpaw.ClosedPaw1" \
  bash -c "busctl introspect ${front_bus[*]:0:2} | grep -q '^\.SubmitAction'"
expect_eq "busctl calls ListSkills (the installed skills: filesystem, textstats)" "filesystem textstats" \
  "$(busctl call "${front_bus[@]}" ListSkills --json=short | grep -o '"id":{"type":"s","data":"[a-z]*"}' |
     sed 's/.*"data":"\([a-z]*\)".*/\1/' | sort | paste -sd' ')"
out_m=$(as_user cp-mallory closedpawctl status 2>&1)
rc=$?
if [[ $rc -eq 3 && "$out_m" == *org.freedesktop.DBus.Error.AccessDenied* ]]; then
  ok "a user outside the allowed groups is refused by closedpawd's bus policy (exit 3, AccessDenied)"
else
  fail "mallory's closedpawctl status: exit $rc, output: $out_m"
fi
out_m=$(setpriv --reuid=cp-mallory --regid=cp-mallory --clear-groups busctl call "${front_bus[@]}" ListSkills 2>&1)
rc=$?
if [[ $rc -ne 0 && "$out_m" == "Call failed: Access denied" ]]; then
  ok "the bus policy also refuses busctl ListSkills for that user (Access denied)"
else
  fail "mallory's busctl call to closedpawd: exit $rc, output: $out_m"
fi

# --- A medium-risk read runs in runsc, through the socket-activated broker ------------------------
useradd --no-create-home --shell /usr/sbin/nologin --groups closedpaw-users,closedpaw-approvers cp-bob
bob_uid=$(id -u cp-bob)
mkdir -p "$workspace" && chown 65534:65534 "$workspace" && chmod 700 "$workspace"
printf 'Meeting at 10:00.\n' >"$workspace/notes.txt" && chown 65534:65534 "$workspace/notes.txt"
out_a=$(as_user cp-alice closedpawctl run filesystem read path=notes.txt --timeout 60 --json 2>&1)
rc=$?
if [[ $rc -eq 0 && $out_a == *'"status": "completed"'* && $out_a == *'"runtime": "runsc"'* &&
      $out_a == *"Meeting at 10:00."* ]]; then
  ok "a medium-risk read by a member of closedpaw-users ran at once in runsc and returned the file"
else
  fail "alice's filesystem read: exit $rc, output: $out_a"
  journalctl -q --no-pager -u "$broker_unit" -u "$front_unit" | tail -30 | sed 's/^/    | /'
fi
check "the connection started the broker through its socket" broker_active
expect_eq "the broker's socket passed to it (no socket of its own)" "1" \
  "$(tr '\0' '\n' </proc/$(main_pid $broker_unit)/environ | sed -n 's/^LISTEN_FDS=//p')"
broker_status=$(prop "$broker_unit" StatusText)
echo "# closedpaw-brokerd: $broker_status"
expect_eq "the broker runs skills in runsc (sd_notify STATUS)" "runsc" "${broker_status##*runtime }"
runtime_known() { closedpawctl status --json | grep -q '"sandbox_runtime": "runsc"'; }
check "closedpawctl status shows the sandbox runtime runsc" wait_until 40 runtime_known
pid=$(main_pid "$broker_unit")
status=$(cat "/proc/$pid/status")
expect_eq "the broker kept only CAP_CHOWN and CAP_NET_ADMIN (effective, permitted)" \
  "0000000000001001 0000000000001001" "$(field CapEff) $(field CapPrm)"
expect_eq "the broker has no_new_privs and a seccomp filter" "1 2" "$(field NoNewPrivs) $(field Seccomp)"
check "in the broker's mount namespace /usr is read-only even for root (ProtectSystem=strict)" \
  bash -c "! nsenter -t $pid -m touch /usr/closedpaw-probe"
check "the broker has its own network namespace (PrivateNetwork=)" \
  test "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/1/ns/net)"
check "systemd-analyze security rates the running broker at or below 4.0" \
  systemd-analyze security --threshold=40 "$broker_unit"

# --- A high-risk action waits for another user's approval, across a closedpawd restart ----------
sub=$(as_user cp-alice closedpawctl run filesystem delete path=notes.txt --no-wait 2>&1)
rc=$?
id=${sub%% *}
expect_eq "a delete is high risk: submitted, pending (exit 10)" "10" "$rc"
echo "# submitted: $sub"
check "the file is still there" test -f "$workspace/notes.txt"
action_field() { closedpawctl show "$id" --json | sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p"; }
digest=$(action_field digest)
expect_eq "root sees it pending" "pending" "$(action_field status)"
as_user cp-alice closedpawctl approve "$id" --digest "$digest" >/dev/null 2>&1
expect_eq "the requester may not approve their own action (exit 3)" "3" "$?"

old=$(main_pid "$front_unit")
check "systemctl restart $front_unit" systemctl restart "$front_unit"
check "restart gave a new closedpawd ($old -> $(main_pid "$front_unit"))" test "$old" != "$(main_pid "$front_unit")"
expect_eq "the pending action survived the restart, digest unchanged" "pending $digest" \
  "$(action_field status) $(action_field digest)"

as_user cp-bob closedpawctl approve "$id" --digest "$(printf '%064d' 0)" >/dev/null 2>&1
expect_eq "an approver confirming a different digest is refused (exit 3)" "3" "$?"
out_b=$(as_user cp-bob closedpawctl approve "$id" --digest "$digest" 2>&1)
rc=$?
if [[ $rc -eq 0 ]]; then ok "another user, in closedpaw-approvers, approves exactly what was shown"
else fail "bob's approval: exit $rc, output: $out_b"; fi
finished() { [[ $(action_field status) == completed || $(action_field status) == failed ]]; }
wait_until 60 finished
expect_eq "the approved delete ran in the sandbox" "completed" "$(action_field status)"
check "the file is gone" test ! -e "$workspace/notes.txt"

# --- Audit log: file, hash chain, journal ---------------------------------------------------------
check "the audit log is in closedpawd's state directory, owned by closedpaw, 0600" \
  bash -c "[[ \$(stat -c '%U %a' /var/lib/closedpaw/audit.log) == 'closedpaw 600' ]]"
out_v=$(closedpawctl audit verify 2>&1)
rc=$?
if [[ $rc -eq 0 ]]; then ok "closedpawctl audit verify: the hash chain verifies ($out_v)"
else fail "closedpawctl audit verify: exit $rc, output: $out_v"; fi
check "closedpawctl audit lists the approval" bash -c "closedpawctl audit --limit 50 | grep -q '$id'"
approved_in_journal() {
  journalctl -q -o cat MESSAGE_ID=$audit_id ACTION_ID="$id" ACTION_EVENT=approved CALLER_UID="$bob_uid" \
    _SYSTEMD_UNIT=$front_unit | grep -q .
}
check "the approval is in the journal (MESSAGE_ID=$audit_id ACTION_EVENT=approved CALLER_UID=$bob_uid)" \
  wait_until 10 approved_in_journal
check "its journal entry carries the audit sequence number (AUDIT_SEQ)" bash -c \
  "journalctl -q -o json MESSAGE_ID=$audit_id ACTION_ID=$id ACTION_EVENT=completed | grep -q '\"AUDIT_SEQ\":\"[0-9]'"

# --- closedpawd: D-Bus activation and its watchdog ------------------------------------------------
check "systemctl stop $front_unit" systemctl stop "$front_unit"
expect_eq "SIGTERM stops closedpawd cleanly (exit 0, result success)" "0 success" \
  "$(prop "$front_unit" ExecMainStatus) $(prop "$front_unit" Result)"
check "a call while it is stopped activates it through D-Bus and systemd" \
  bash -c "closedpawctl show $id --json | grep -q '\"status\": \"completed\"'"
expect_eq "closedpawd is active again" "active" "$(systemctl is-active "$front_unit")"

mkdir -p /run/systemd/system/$front_unit.d
cat >/run/systemd/system/$front_unit.d/50-systest-watchdog.conf <<'EOF'
[Service]
WatchdogSec=3s
TimeoutAbortSec=2s
EOF
systemctl daemon-reload
check "restart closedpawd with WatchdogSec=3s" systemctl restart "$front_unit"
restarts=$(prop "$front_unit" NRestarts)
pid=$(main_pid "$front_unit")
sleep 5
expect_eq "closedpawd keeps a 3 s watchdog fed for 5 s (same process, no restart)" \
  "$pid $restarts" "$(main_pid "$front_unit") $(prop "$front_unit" NRestarts)"
kill -STOP "$pid"
front_restarted() { [[ $(main_pid "$front_unit") != "$pid" && $(main_pid "$front_unit") != 0 &&
  $(systemctl is-active "$front_unit") == active ]]; }
check "after SIGSTOP the watchdog fires and systemd restarts closedpawd" wait_until 30 front_restarted
expect_eq "systemd counted one restart" "$((restarts + 1))" "$(prop "$front_unit" NRestarts)"
front_watchdog() { journalctl -q -u "$front_unit" | grep -q 'Watchdog timeout'; }
check "the journal says why (Watchdog timeout)" wait_until 5 front_watchdog
check "the audit log still verifies after the watchdog kill" closedpawctl audit verify
rm -r /run/systemd/system/$front_unit.d
systemctl daemon-reload

# The live exposure levels, for the log (each is gated above).
for u in "$vault_unit" "$front_unit" "$broker_unit"; do
  echo "# live: $(systemd-analyze security --no-pager "$u" 2>/dev/null | tail -1)"
done

# --- scripts/up's systemd path (its install step needs a compiler; the rest runs here) -------
up_out=$(CLOSEDPAW_PREFIX=/usr /usr/local/libexec/closedpaw-systest/up-systemd --activate-only 2>&1)
rc=$?
if [[ $rc -eq 0 && $up_out == *"ClosedPaw is up as system services"*"closedpaw-vaultd: Serving, 1 secrets"*"closedpawd: Serving, 0 pending, 2 skills"*"closedpaw-brokerd: serving on"*"runtime runsc"* ]]; then
  ok "scripts/up-systemd --activate-only (sysusers, tmpfiles, reloads, restart) reports all three daemons up"
else
  fail "scripts/up-systemd --activate-only: exit $rc"
  printf '    | %s\n' "$up_out"
fi
for u in "$vault_unit" "$front_unit" "$broker_unit" "$broker_socket_unit"; do
  expect_eq "$u is active after it" "active" "$(systemctl is-active "$u")"
done

# --- The target ---------------------------------------------------------------------------------
check "systemctl stop closedpaw.target" systemctl stop closedpaw.target
# The target is ordered after the vault, so it stops first; the vault's stop job may still run.
vault_inactive() { [[ $(systemctl is-active "$vault_unit") == inactive ]]; }
check "stopping the target stops the vault (PartOf=)" wait_until 20 vault_inactive
all_inactive() { for u in "$front_unit" "$broker_unit" "$broker_socket_unit"; do
  [[ $(systemctl is-active "$u") == inactive ]] || return 1; done; }
check "stopping the target stops closedpawd, the broker and its socket (PartOf=)" wait_until 20 all_inactive
check "systemctl start closedpaw.target" systemctl start closedpaw.target
expect_eq "starting the target starts the vault, closedpawd and the broker's socket" "active active active" \
  "$(systemctl is-active "$vault_unit") $(systemctl is-active "$front_unit") $(systemctl is-active "$broker_socket_unit")"
expect_eq "the secret is still there" "s3cret-value" "$(closedpawctl vault get api-key 2>&1)"

finish
