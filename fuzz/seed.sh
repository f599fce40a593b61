#!/usr/bin/env bash
# Fills the (gitignored) working corpora fuzz/corpus/<target>/ with the
# committed seeds and regressions, plus, when ../shared/corpus exists, a
# sample of its texts with each target's header. Corpus texts are only
# copied into fuzz/corpus/, never committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${PALISADE_CORPUS:-$here/../../shared/corpus}"
per_file="${SEED_SAMPLE:-60}"
targets=(inspect views decode policy stream ffi)
for t in "${targets[@]}"; do
  mkdir -p "$here/corpus/$t"
  for d in seeds regressions; do
    if [ -d "$here/$d/$t" ]; then
      find "$here/$d/$t" -type f ! -name '*.md' -exec cp -n {} "$here/corpus/$t/" \;
    fi
  done
done
if [ -d "$shared" ] && command -v python3 >/dev/null; then
  python3 - "$shared" "$here/corpus" "$per_file" <<'PY'
import hashlib, json, os, sys
shared, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = []
for root, _, files in os.walk(shared):
    for f in sorted(files):
        if not f.endswith(".jsonl"):
            continue
        rows = open(os.path.join(root, f), encoding="utf-8").read().splitlines()
        # An even sample over the file, deterministic.
        step = max(1, len(rows) // n)
        for line in rows[::step][:n]:
            try:
                t = json.loads(line).get("text", "")
            except ValueError:
                continue
            if t and len(t) < 8000:
                texts.append(t.encode())
def put(target, data):
    d = os.path.join(out, target)
    with open(os.path.join(d, "shared-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as fh:
        fh.write(data)
for i, t in enumerate(texts):
    put("inspect", bytes([i & 1, 0, 0]) + t)
    if i % 3 == 0:
        put("views", bytes([3, 0]) + t)
    if i % 3 == 1:
        # stream: response, default policy, as given, chunks of 7.
        put("stream", bytes([1, 0, 0, 1, 7, 0, 0]) + t)
print(f"seed.sh: {len(texts)} texts from {shared}")
PY
fi
for t in "${targets[@]}"; do echo "seed.sh: $t: $(ls "$here/corpus/$t" | wc -l) inputs"; done
