#!/usr/bin/env bash
# The pull-request review gate: runs a template diff with `--fail-on` gates for data loss and
# replacements, each lifted only by an explicit override, and prints the diff followed by a
# "Review gate" section (gates, overrides in use, what tripped). The exit code is the diff's:
# 1 when a gate trips, so the CI job fails, with the diff still printed for the PR comment.
#
#   scripts/review-gate.sh DIFF_COMMAND...
#   e.g. FORMAT=markdown scripts/review-gate.sh scripts/pr-diff.sh origin/main
#        scripts/review-gate.sh cairn diff --base out-main --head out-pr
#
# Overrides (the workflow sets them from the pull request's labels):
#   ALLOW_REPLACEMENT=true   label cairn:allow-replacement: resources may be replaced; a stateful
#                            resource removed or replaced still fails the gate
#   ALLOW_DATA_LOSS=true     label cairn:allow-data-loss: stateful resources may be removed or
#                            replaced too (the stronger override; it lifts both gates)
# No label lifts changes the deploy would fail on (engine downgrade, export still imported or
# changed, custom-named resource replaced): every `--fail-on` gate but `none` trips on them, and
# with both gates lifted the script still asks for `--fail-on blocking`.
set -uo pipefail

if (($# == 0)); then
    echo "usage: [ALLOW_REPLACEMENT=true] [ALLOW_DATA_LOSS=true] $0 DIFF_COMMAND..." >&2
    exit 2
fi
is_true() { [[ "${1:-false}" == true ]]; }
for var in ALLOW_REPLACEMENT ALLOW_DATA_LOSS; do
    case "${!var:-false}" in
        true | false) ;;
        *) echo "review-gate: $var must be true or false, not '${!var}'" >&2; exit 2 ;;
    esac
done

gates=()
overrides=()
if is_true "${ALLOW_DATA_LOSS:-}"; then
    overrides+=("\`cairn:allow-data-loss\`: stateful resources may be removed or replaced, and other resources replaced")
else
    gates+=(data-loss)
    if is_true "${ALLOW_REPLACEMENT:-}"; then
        overrides+=("\`cairn:allow-replacement\`: resources may be replaced (stateful ones still may not)")
    else
        gates+=(replacement)
    fi
fi
# Changes the deploy would fail on fail every gate; with none left, ask for that one alone.
((${#gates[@]})) || gates+=(blocking)
fail_on="$(IFS=,; echo "${gates[*]}")"

errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
# stdout (the diff) stays stdout; stderr (progress, the gate's message) is shown as it comes
# and kept for the summary.
{
    "$@" --fail-on "$fail_on" 2>&1 1>&3 | tee "$errors" >&2
    rc=${PIPESTATUS[0]}
} 3>&1

echo
echo "### Review gate"
echo
echo "- Gates: \`--fail-on $fail_on\` (changes the deploy would fail on always fail; no label lifts them)"
if ((${#overrides[@]})); then
    for o in "${overrides[@]}"; do echo "- **Override in use:** label $o"; done
else
    echo "- Overrides: none (labels \`cairn:allow-replacement\`, \`cairn:allow-data-loss\`)"
fi
if ((rc == 0)); then
    echo "- Result: passed"
else
    echo "- Result: **failed** (exit code $rc)"
    while IFS= read -r line; do
        [[ -n "$line" ]] && echo "  - \`$line\`"
    done < <(grep -E '^(diff: |error)' "$errors")
    if ((rc == 1)) && grep -q "the deploy would fail on" "$errors"; then
        echo "- The deploy would fail on a change above (see the diff's warnings): no label lifts that; fix the change."
    elif ((rc == 1)); then
        echo "- To merge anyway, a reviewer adds the label named above for what tripped, after reading the diff."
    fi
fi
exit "$rc"
