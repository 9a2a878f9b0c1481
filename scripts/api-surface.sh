#!/usr/bin/env bash
# Public API surface of every library crate: the items rustdoc lists in each crate's
# all.html (structs, enums, traits, functions, macros, constants, statics, type aliases),
# after `cargo doc --no-deps --workspace`. Methods and fields are not counted.
# cairn-cfn is counted with the features the workspace build enables, not `full`.
# Usage: scripts/api-surface.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
doc="${CARGO_TARGET_DIR:-target}/doc"
if [[ "${1:-}" != "--no-build" ]]; then
  cargo doc --quiet --no-deps --workspace >&2
fi
printf '%-18s %s\n' crate items
for crate in cairn_core cairn_assembly cairn_assertions cairn_cfn cairn_constructs cairn_check cairn_diff cairn_parity cairn_toolkit; do
  all="$doc/$crate/all.html"
  if [[ ! -f "$all" ]]; then
    printf '%-18s %s\n' "$crate" "missing ($all)"
    continue
  fi
  # One <li> per item; rustdoc writes the list on one line, so split on tags first.
  n=$(sed 's/<li>/\n<li>/g' "$all" | grep -c '^<li><a href="[^#]' || true)
  printf '%-18s %s\n' "$crate" "$n"
done
