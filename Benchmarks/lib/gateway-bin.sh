# Sourced by the benchmark scripts that take a prebuilt gateway (GATEWAY_BIN): one place that says which binary
# and how it is built when missing (release, dynamic exclusivity checks off, Swift runtime linked statically,
# its own scratch folder).

# gateway_bin_ensure ROOT: sets GATEWAY_BIN (default ROOT/.build-release/release/portcullis) and builds it if absent.
gateway_bin_ensure() {
    local root=$1
    GATEWAY_BIN=${GATEWAY_BIN:-$root/.build-release/release/portcullis}
    [ -x "$GATEWAY_BIN" ] && return 0
    bench_log "no $GATEWAY_BIN: building it (release, exclusivity checks off, static Swift runtime)"
    (cd "$root" && swift build -c release --scratch-path .build-release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked \
        --product portcullis >&2) || bench_die "build failed"
}
