#!/usr/bin/env bash
# buf lint, format and breaking-change checks of proto/ (run by `make test`). The breaking
# check compares against main's proto/, read with git alone, so it works on a clean clone
# whose only branch is main (there it compares main with itself) and in a worktree.
# BUF_AGAINST=<git ref> compares against another ref.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=tests/node/node_modules/.bin/buf
"$buf" lint proto
"$buf" format --diff --exit-code proto
against=${BUF_AGAINST:-}
if [ -z "$against" ]; then
  for ref in main origin/main; do
    if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then against=$ref; break; fi
  done
fi
if [ -z "$against" ]; then
  echo "buf breaking: no main branch here to compare against (git fetch origin main:main, or set BUF_AGAINST)" >&2
  exit 1
fi
if [ -z "$(git ls-tree -d "$against" proto)" ]; then
  echo "buf breaking: $against has no proto/ yet, nothing to compare against"
  exit 0
fi
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
git archive "$against" proto | tar -x -C "$base"
"$buf" breaking proto --against "$base/proto"
echo "buf: lint, format and breaking against $against clean"
