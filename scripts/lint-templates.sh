#!/usr/bin/env bash
# Lint every synthesized template OUT_DIR/<env>/*.template.json with cfn-lint.
#
#   scripts/lint-templates.sh [OUT_DIR]        (default: out; or `make lint`)
#
# Fails (exit 1) on any cfn-lint error or warning, and when no template is found.
# Informational findings (cfn-lint's exit bit 8) are allowed: they are printed only
# when CFN_LINT_INFO=1.
#
# Environment:
#   CFN_LINT          cfn-lint executable (default: .venv/bin/cfn-lint of this repo)
#   CFN_LINT_REGIONS  space-separated regions to lint against (default: the "region" of
#                     OUT_DIR/<env>/manifest.json when it has a top-level one, else cfn-lint's
#                     default us-east-1)
#   CFN_LINT_INFO     1 to also show informational (I-code) findings
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="${1:-out}"
cfn_lint="${CFN_LINT:-$repo/.venv/bin/cfn-lint}"

if [[ ! -x "$cfn_lint" ]] && ! command -v "$cfn_lint" >/dev/null 2>&1; then
    echo "lint: cfn-lint not found at $cfn_lint (run 'make venv')" >&2
    exit 1
fi

shopt -s nullglob
templates=("$out_dir"/*/*.template.json)
shopt -u nullglob
if ((${#templates[@]} == 0)); then
    echo "lint: no templates found: $out_dir/*/*.template.json matched nothing (run 'make synth-all' first)" >&2
    exit 1
fi

# Region for one env directory: CFN_LINT_REGIONS, else manifest.json's top-level "region".
regions_for() {
    local dir="$1"
    if [[ -n "${CFN_LINT_REGIONS:-}" ]]; then
        echo "$CFN_LINT_REGIONS"
    elif [[ -f "$dir/manifest.json" ]]; then
        python3 - "$dir/manifest.json" <<'PY' 2>/dev/null || true
import json, sys
try:
    r = json.load(open(sys.argv[1])).get("region")
except Exception:
    r = None
if isinstance(r, str) and r:
    print(r)
PY
    fi
}

include=()
[[ "${CFN_LINT_INFO:-0}" == 1 ]] && include=(--include-checks I)

failed=0
total=0
# One cfn-lint run per environment directory (its start-up costs about a second).
mapfile -t dirs < <(printf '%s\n' "${templates[@]}" | xargs -n1 dirname | sort -u)
for dir in "${dirs[@]}"; do
    files=("$dir"/*.template.json)
    total=$((total + ${#files[@]}))
    read -r -a regions <<<"$(regions_for "$dir")"
    region_args=()
    ((${#regions[@]})) && region_args=(--regions "${regions[@]}")
    echo "lint: $dir: ${#files[@]} template(s)${regions[*]:+ (regions: ${regions[*]})}"
    set +e
    "$cfn_lint" "${region_args[@]}" "${include[@]}" -- "${files[@]}"
    rc=$?
    set -e
    # cfn-lint's exit code is a bit mask: 2 = error, 4 = warning, 8 = informational.
    # Anything but bit 8 (including 1 = cfn-lint itself failed) is a failure.
    if (((rc & ~8) != 0)); then
        what=()
        ((rc & 2)) && what+=(errors)
        ((rc & 4)) && what+=(warnings)
        ((${#what[@]} == 0)) && what+=("cfn-lint failure")
        echo "lint: $dir: FAILED (cfn-lint exit $rc: ${what[*]})" >&2
        failed=1
    fi
done

if ((failed)); then
    echo "lint: FAILED: templates must have no cfn-lint errors and no warnings" >&2
    exit 1
fi
echo "lint: OK: $total template(s) in ${#dirs[@]} environment(s), no errors or warnings"
