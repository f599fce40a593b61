#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails on any crash.
#   fuzz/run.sh [SECONDS_PER_TARGET]   (default 30)
# Needs the nightly toolchain; installs cargo-fuzz when it is missing.
# A crash leaves its input in fuzz/artifacts/<target>/: minimise it
# (cargo +nightly fuzz tmin <target> <file>), fix the cause, and commit it
# under fuzz/regressions/<target>/ with a line in fuzz/regressions/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-30}"
cd "$here"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
bash "$here/seed.sh"
targets=$(cargo +nightly fuzz list)
# The targets only reach safe Rust (palisade forbids unsafe code), so they
# run without AddressSanitizer: several times more inputs per second. A
# target over the C ABI should override this with `-s address`.
san="${FUZZ_SANITIZER:-none}"
# One build for every target before the clock starts.
cargo +nightly fuzz build -O -s "$san"
failed=()
for t in $targets; do
  echo "== fuzz $t for ${secs}s"
  # -rss_limit_mb bounds memory (a hostile input must not make a guard
  # large); -timeout flags any single input taking over 10 s.
  if ! cargo +nightly fuzz run -O -s "$san" "$t" "corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=20000 \
      -print_final_stats=1 2>"$here/run-$t.log"; then
    failed+=("$t")
    grep -E 'invariant broken|panicked|ERROR|SUMMARY|Test unit written' "$here/run-$t.log" | head -20 || true
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$here/run-$t.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: all targets ran ${secs}s without a crash"
