# shellcheck shell=bash
# The real-kernel labs' guest watchdog, sourced by tests/kernel/lab.sh (x86) and tests/kernel/s390/lab.sh.
#
#   guest_run N LOG -- QEMU ARGS...   run one guest in the background, its console in LOG, and watch it:
#     0  it powered off and printed LAB-EXIT=
#     2  no kernel output ("Linux version") within GUEST_FIRST seconds: stopped; the caller restarts it once
#     1  otherwise: a stall (no console output, and no growth of the GUEST_PROGRESS files, for GUEST_STALL
#        seconds), GUEST_LIMIT seconds in all, or an end without LAB-EXIT=; the console's tail is shown
#   guest_boot QEMU ARGS...           guest_run with the one restart: sets GUEST_LOG to the console that counts
#                                     and returns guest_run's answer (2: silent twice; the caller says so and stops)
#
# Prints, per guest: the time to its first kernel output, to /init (the line LAB-INIT the guest's /init
# prints first), and its whole run. The caller defines say() and GUEST_DIR (where console-N.log go), may set
# GUEST_FIRST (default 120), GUEST_STALL (300), GUEST_LIMIT (900) and GUEST_PROGRESS (files whose growth
# counts as activity, for guests that write their results elsewhere than to the console), and kills
# $GUEST_PID in its EXIT trap (guest_cleanup).
GUEST_PID=
GUEST_PROGRESS=()

guest_cleanup() {
    [ -z "$GUEST_PID" ] || kill "$GUEST_PID" 2>/dev/null || true
}

guest_stop() {
    kill "$GUEST_PID" 2>/dev/null || true
    wait "$GUEST_PID" 2>/dev/null || true
    GUEST_PID=
}

guest_tail() {  # guest_tail LOG: the console's last lines, indented
    tail -25 "$1" | tr -d '\r' | sed 's/^/    | /'
}

guest_activity() {  # the console's size plus that of the progress files: it grows while the guest works
    local f total=0 n
    for f in "$@"; do
        n=$(stat -c %s "$f" 2>/dev/null || echo 0)
        total=$((total + n))
    done
    echo "$total"
}

guest_run() {
    local n=$1 log=$2 start first='' init='' now secs size last_size=-1 last_change=0
    local first_limit=${GUEST_FIRST:-120} stall=${GUEST_STALL:-300} limit=${GUEST_LIMIT:-900}
    shift 2
    [ "${1:-}" != -- ] || shift
    start=$(date +%s.%N)
    "$@" < /dev/null > "$log" 2>&1 &
    GUEST_PID=$!
    while kill -0 "$GUEST_PID" 2>/dev/null; do
        sleep 1
        now=$(echo "$(date +%s.%N) - $start" | bc)
        secs=${now%.*}; secs=${secs:-0}
        size=$(guest_activity "$log" "${GUEST_PROGRESS[@]}")
        if [ -z "$first" ] && grep -aq 'Linux version' "$log"; then
            first=$now; say "guest $n: first kernel output after $(printf '%.1f' "$first")s"
        fi
        if [ -z "$init" ] && grep -aq '^LAB-INIT' "$log"; then
            init=$now
            say "guest $n: booted to /init after $(printf '%.1f' "$init")s ($(grep -a -m1 '^LAB-INIT' "$log" | tr -d '\r'))"
        fi
        if [ -z "$first" ] && [ "$secs" -ge "$first_limit" ]; then
            say "guest $n: no kernel output within ${first_limit}s (console has $(stat -c %s "$log") bytes); stopping it. The console's tail:"
            guest_stop; guest_tail "$log"
            return 2
        fi
        if [ "$size" != "$last_size" ]; then last_size=$size; last_change=$secs; fi
        if [ -n "$first" ] && [ $((secs - last_change)) -ge "$stall" ]; then
            say "guest $n: no output for ${stall}s: it hangs; stopping it after ${secs}s. The console's tail:"
            guest_stop; guest_tail "$log"
            return 1
        fi
        if [ "$secs" -ge "$limit" ]; then
            say "guest $n: still running after ${limit}s; stopping it. The console's tail:"
            guest_stop; guest_tail "$log"
            return 1
        fi
    done
    wait "$GUEST_PID" || true
    GUEST_PID=
    say "guest $n: powered off after $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")s"
    if ! grep -aq '^LAB-EXIT=' "$log"; then
        say "guest $n ended without LAB-EXIT. The console's tail:"
        guest_tail "$log"
        return 1
    fi
    return 0
}

guest_boot() {
    local rc=0
    GUEST_LOG=${GUEST_DIR:?}/console-1.log
    guest_run 1 "$GUEST_LOG" -- "$@" || rc=$?
    if [ "$rc" = 2 ]; then
        say "restarting the guest once"
        rc=0
        GUEST_LOG=$GUEST_DIR/console-2.log
        guest_run 2 "$GUEST_LOG" -- "$@" || rc=$?
    fi
    return "$rc"
}
