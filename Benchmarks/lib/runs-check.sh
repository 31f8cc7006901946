# Sourced by the benchmark scripts: EVERY load run is checked for errors, not only the one whose median a
# result line reports. A run with socket errors, non-2xx responses or no result at all makes the script exit 3,
# after printing each bad run.

# runs_with_errors COLUMN FILE...: prints "FILE: LINE" for each run line whose COLUMN (1-based: errors, i.e. socket
# errors plus non-2xx, or "fail"/"?" when the tool produced no result) is not 0. Succeeds when it printed any.
runs_with_errors() {
    local column=$1; shift
    awk -v c="$column" 'NF && $c != "0" { print FILENAME ": " $0; bad = 1 } END { exit bad ? 0 : 1 }' "$@"
}

# runs_fail_loudly COLUMN LABEL FILE...: when any run of FILE... had errors, says so on stderr and records it.
RUNS_FAILED=0
runs_fail_loudly() {
    local column=$1 label=$2 bad; shift 2
    if bad=$(runs_with_errors "$column" "$@"); then
        {
            echo "[bench] FAILED: $label: runs with errors (socket errors, non-2xx responses or no result):"
            sed 's/^/    /' <<<"$bad"
        } >&2
        RUNS_FAILED=1
    fi
    # An empty file means no run at all was recorded: as bad as a failed one.
    local f
    for f in "$@"; do
        if [ ! -s "$f" ]; then echo "[bench] FAILED: $label: no run recorded in $f" >&2; RUNS_FAILED=1; fi
    done
}

# runs_exit: exit 3 if any check failed (call last, after the results are printed).
runs_exit() {
    if [ "$RUNS_FAILED" != 0 ]; then
        echo "[bench] FAILED: some runs saw errors; the figures above are not valid" >&2
        exit 3
    fi
}
