#!/usr/bin/env python3
"""Generate crates/core/src/schema/facts.rs, cairn's facts about every CloudFormation
resource type, from the resource schemas bundled inside the installed cfn-lint
package: every type of the region's provider schema map (`providers/us-east-1.json`),
so the schemas themselves are the list of types.

Per type it records the schema's `createOnlyProperties` (changing them replaces the
resource) and `conditionalCreateOnlyProperties` (changing them *may* replace it), as
property paths relative to `Properties`: `/properties/KeySchema` -> `KeySchema`,
`/properties/A/B` -> `A/B` (`*` stays for array items); `nameProperty`: the
create-only property that is the type's physical name (see `name_property`); how
the type takes tags (`Tags` as a Key/Value list, a map, or none); and its read-only
properties as the attribute names `Fn::GetAtt` takes (`Arn`, `Endpoint.Address`).

Where CloudFormation documents a property's update as "Replacement" but the
registry schema marks it only conditionally create-only (or not at all), the
reviewed list in scripts/documented-replacements.json moves it into
`createOnly` (and names it in a comment), so cairn says "requires replacement"
where the documentation says so. Its `updateFails` section lists properties whose
documented update fails instead (KMS keys): they go into `updateFails`, and cairn
says the deploy would fail.

The output is Rust source (static data, looked up by binary search), so synthesis
parses nothing at run time. Only the schemas shipped in the cfn-lint wheel are
read (never cfn-lint's user cache nor the network), so the output depends only on
the pinned cfn-lint version and is byte-for-byte reproducible.

Usage:  .venv/bin/python scripts/gen-replacement-table.py [--out FILE] [--documented FILE]
                                                        [--region R] [--check]
                                                        [--any-cfn-lint]
        (or `make replacement-table`; `make replacement-table-check` for --check)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "crates" / "core" / "src" / "schema" / "facts.rs"
DEFAULT_DOCUMENTED = REPO / "scripts" / "documented-replacements.json"
PREFIX = "/properties/"
# What a property path or attribute name may contain: it is written into a Rust string literal as is.
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.*/:@-]+$")
# Types in the provider map whose schema cannot say what an update does: cairn keeps
# no facts for them, so they fail closed like `Custom::…` (any change may replace).
UNCLASSIFIABLE = {
    # Its provider (the stack author's code) decides whether an update replaces it.
    "AWS::CloudFormation::CustomResource",
}


def schema_dir() -> Path:
    try:
        import cfnlint  # noqa: F401  (only to locate the package)
    except ImportError:
        sys.exit("error: cfn-lint is not installed in this Python; run `make venv` and use .venv/bin/python")
    import cfnlint.data.schemas as schemas_pkg

    d = Path(schemas_pkg.__file__).resolve().parent
    if not (d / "resources").is_dir() or not (d / "version.json").is_file():
        sys.exit(
            f"error: cfn-lint {metadata.version('cfn-lint')} at {d} has an unexpected schema layout "
            "(need providers/<region>.json, resources/<key>.json, version.json as in cfn-lint 1.58)"
        )
    return d


def pinned_cfn_lint() -> str | None:
    req = REPO / "requirements.txt"
    if not req.exists():
        return None
    for line in req.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.lower().startswith("cfn-lint=="):
            return line.split("==", 1)[1].strip()
    return None


def to_path(pointer: str, type_name: str) -> str:
    if not pointer.startswith(PREFIX):
        sys.exit(f"error: {type_name}: unexpected JSON pointer {pointer!r} (expected {PREFIX}...)")
    # JSON pointer unescaping (RFC 6901); property names never contain '/' or '~' in practice.
    path = pointer[len(PREFIX):].replace("~1", "/").replace("~0", "~")
    if not SAFE_NAME.match(path):
        sys.exit(f"error: {type_name}: property path {path!r} has characters the generated Rust cannot hold")
    return path


def attributes(schema: dict, type_name: str) -> list[str]:
    """The read-only properties as `Fn::GetAtt` names them: `/properties/Arn` -> `Arn`,
    `/properties/Endpoint/Address` -> `Endpoint.Address`. Paths through array items
    (`A/*/B`) name no attribute and are left out."""
    paths = (to_path(p, type_name) for p in schema.get("readOnlyProperties", []))
    return sorted({p.replace("/", ".") for p in paths if "*" not in p.split("/")})


def resolve(schema: dict, node: dict) -> dict:
    """Follows local `$ref`s (`#/definitions/X`) until a concrete node."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {})
        node = target
        seen += 1
    return node


def is_key_value(schema: dict, item: dict) -> bool:
    """An array item `{Key, Value}`, or a `oneOf`/`anyOf` that allows one (some types
    also accept `{TagKey, TagValue}`)."""
    item = resolve(schema, item)
    if "Key" in item.get("properties", {}) and "Value" in item.get("properties", {}):
        return True
    return any(is_key_value(schema, alt) for alt in item.get("oneOf", []) + item.get("anyOf", []))


def tag_shape(schema: dict) -> str:
    """How the type takes cairn's tags, in its `Tags` property (the only one synthesis
    writes): "list" of Key/Value, "map" of key to value, or "none" (no `Tags`, or a
    schema that says the type is not taggable)."""
    tags = schema.get("properties", {}).get("Tags")
    if tags is None or schema.get("tagging", {}).get("taggable") is False:
        return "none"
    tags = resolve(schema, tags)
    kind = tags.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind is None and ("patternProperties" in tags or "additionalProperties" in tags):
        kind = "object"  # a map written only as its key pattern (AWS::PCS::Cluster)
    if kind == "array":
        return "list" if is_key_value(schema, tags.get("items", {})) else "none"
    if kind == "object":
        return "map"
    return "none"


def name_property(type_name: str, create_only: list[str]) -> str | None:
    """The create-only property that is the type's physical name (`TableName`,
    `DBInstanceIdentifier`, `Name`, `GroupName` of a SecurityGroup): `<Type>Name`,
    `<Type>Identifier`, `Name`, or `<X>Name` where the type's name ends with `<X>`
    (`AWS::CloudWatch::CompositeAlarm` `AlarmName`). A resource with such a name set
    cannot be replaced: CloudFormation refuses ("cannot update a stack when a
    custom-named resource requires replacing").

    Where several properties fit, the first in that order wins, and among `<X>Name`
    the longest `<X>` (the most specific): one rule, the same answer every run."""
    suffix = type_name.split("::")[2]

    def rank(p: str) -> tuple[int, int] | None:
        if "/" in p:
            return None
        for i, exact in enumerate((f"{suffix}Name", f"{suffix}Identifier", "Name")):
            if p == exact:
                return (i, 0)
        if p.endswith("Name") and len(p) > 4 and suffix.endswith(p[: -len("Name")]):
            return (3, -len(p))
        return None

    ranked = sorted((r, p) for p in create_only if (r := rank(p)) is not None)
    return ranked[0][1] if ranked else None


def read_documented(path: Path, types: set[str], section: str = "types") -> dict[str, list[str]]:
    """The reviewed list of documented replacements (`types`) or of properties whose
    update fails (`updateFails`): type -> property names."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for t, props in data.get(section, {}).items():
        if t not in types:
            sys.exit(f"error: {path}: {t} is not a resource type of cfn-lint's provider schemas")
        for name, source in props.items():
            if not isinstance(source, str) or not source.startswith("https://docs.aws.amazon.com/"):
                sys.exit(f"error: {path}: {t} {name}: name the documentation (a docs.aws.amazon.com link)")
        out[t] = sorted(props)
    return out


def apply_documented(out_types: dict, schemas: dict, documented: dict[str, list[str]], path: Path) -> None:
    """Moves documented replacements into createOnly; refuses entries that are stale."""
    for t, names in documented.items():
        entry = out_types[t]
        known = schemas[t].get("properties", {})
        for name in names:
            if name not in known:
                sys.exit(f"error: {path}: {t} has no property {name} in its schema")
            if name in entry["createOnly"]:
                sys.exit(f"error: {path}: {t} {name} is already create-only in the schema; remove it from the list")
        entry["conditionalCreateOnly"] = [p for p in entry["conditionalCreateOnly"] if p not in names]
        entry["createOnly"] = sorted(set(entry["createOnly"]) | set(names))
        entry["documentedReplacement"] = names


def apply_update_fails(out_types: dict, schemas: dict, update_fails: dict[str, list[str]], path: Path) -> None:
    """Records the properties whose documented update fails (`updateFails`)."""
    for t, names in update_fails.items():
        known = schemas[t].get("properties", {})
        for name in names:
            if name not in known:
                sys.exit(f"error: {path}: {t} has no property {name} in its schema")
            if name in out_types[t]["createOnly"]:
                sys.exit(f"error: {path}: {t} {name} is create-only (a replacement), not an update that fails")
        out_types[t]["updateFails"] = names


def provider_types(region: str) -> dict[str, str]:
    """Resource type -> schema file key, from the region's provider schema map."""
    provider_file = schema_dir() / "providers" / f"{region}.json"
    if not provider_file.is_file():
        sys.exit(f"error: no provider schema map {provider_file}")
    return json.loads(provider_file.read_text(encoding="utf-8"))


def build(
    provider: dict[str, str],
    region: str,
    documented: dict[str, list[str]],
    documented_path: Path,
    update_fails: dict[str, list[str]] | None = None,
) -> dict:
    d = schema_dir()
    version = json.loads((d / "version.json").read_text(encoding="utf-8"))
    out_types = {}
    schemas = {}
    for t in sorted(set(provider) - UNCLASSIFIABLE):
        if t.count("::") != 2 or not SAFE_NAME.match(t):
            sys.exit(f"error: providers/{region}.json: not a resource type: {t!r}")
        key = provider[t]
        schema = json.loads((d / "resources" / f"{key}.json").read_text(encoding="utf-8"))
        if schema.get("typeName") != t:
            sys.exit(f"error: schema resources/{key}.json is {schema.get('typeName')!r}, expected {t!r}")
        schemas[t] = schema
        out_types[t] = {
            "tags": tag_shape(schema),
            "createOnly": sorted({to_path(p, t) for p in schema.get("createOnlyProperties", [])}),
            "conditionalCreateOnly": sorted(
                {to_path(p, t) for p in schema.get("conditionalCreateOnlyProperties", [])}
            ),
            "attributes": attributes(schema, t),
        }
        out_types[t]["nameProperty"] = name_property(t, out_types[t]["createOnly"])
    apply_documented(out_types, schemas, documented, documented_path)
    apply_update_fails(out_types, schemas, update_fails or {}, documented_path)
    return {
        "source": f"cfn-lint {metadata.version('cfn-lint')} schemas ({region})",
        "schemaDate": version.get("schema_date", ""),
        "types": out_types,
    }


TAGS = {"list": "L", "map": "M", "none": "N"}


def record(e: dict) -> str:
    """One type's facts but its tags as one string, the format `crates/core/src/schema/mod.rs`
    reads: fields split by `|`, names within a field by a space (names have neither)."""
    fields = [
        " ".join(e["createOnly"]),
        " ".join(e["conditionalCreateOnly"]),
        e.get("nameProperty") or "",
        " ".join(e.get("updateFails", [])),
        " ".join(e["attributes"]),
    ]
    return "|".join(fields)


def render(table: dict) -> str:
    """The table as Rust: one line per type, sorted by type name (byte order, as
    `str::cmp`), for binary search. One string literal per type, not nested slices:
    rustc compiles it several times faster (it is 1,800+ lines)."""
    for text in (table["source"], table["schemaDate"]):
        if '"' in text or "\\" in text:
            sys.exit(f"error: {text!r} cannot go into a Rust string literal as is")
    lines = [
        "// @generated by scripts/gen-replacement-table.py (`make replacement-table`): do not edit.",
        f"// From {table['source']}, schema date {table['schemaDate']}.",
        "// Per type: its tags (L = Key/Value list, M = map, N = none), apart so synthesis reads them",
        "// without splitting the rest: \"create-only|conditionally create-only|name property|update fails|attributes\",",
        "// names split by spaces.",
        "",
        "use super::TagFormat::{self, KeyValueList as L, Map as M, None as N};",
        "",
        f'pub(super) const SOURCE: &str = "{table["source"]}";',
        f'pub(super) const SCHEMA_DATE: &str = "{table["schemaDate"]}";',
        "",
        "pub(super) static TYPES: &[(&str, TagFormat, &str)] = &[",
    ]
    for name in sorted(table["types"], key=lambda n: n.encode()):
        e = table["types"][name]
        if e.get("documentedReplacement"):
            why = ", ".join(e["documentedReplacement"])
            lines.append(f"// documented replacement (scripts/documented-replacements.json): {why}")
        lines.append(f'("{name}",{TAGS[e["tags"]]},"{record(e)}"),')
    lines.append("];")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--documented", type=Path, default=DEFAULT_DOCUMENTED)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--check", action="store_true", help="fail if --out is not up to date; write nothing")
    ap.add_argument(
        "--any-cfn-lint",
        action="store_true",
        help="allow a cfn-lint other than the one pinned in requirements.txt",
    )
    args = ap.parse_args()

    pinned = pinned_cfn_lint()
    try:
        installed = metadata.version("cfn-lint")
    except metadata.PackageNotFoundError:
        sys.exit("error: cfn-lint is not installed in this Python; run `make venv` and use .venv/bin/python")
    if pinned and installed != pinned and not args.any_cfn_lint:
        sys.exit(
            f"error: this Python has cfn-lint {installed}, requirements.txt pins {pinned}; "
            "use .venv/bin/python (make replacement-table) or pass --any-cfn-lint"
        )

    provider = provider_types(args.region)
    documented = read_documented(args.documented, set(provider))
    update_fails = read_documented(args.documented, set(provider), "updateFails")
    table = build(provider, args.region, documented, args.documented, update_fails)
    text = render(table)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run `make replacement-table`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(table['types'])} types, {len(text.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
