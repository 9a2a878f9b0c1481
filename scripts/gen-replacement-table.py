#!/usr/bin/env python3
"""Generate crates/core/data/resource-types.json from the CloudFormation resource
schemas bundled inside the installed cfn-lint package.

For every resource type listed in scripts/resource-types.txt it records the
schema's `createOnlyProperties` (changing them replaces the resource) and
`conditionalCreateOnlyProperties` (changing them *may* replace it), as property
paths relative to `Properties`: `/properties/KeySchema` -> `KeySchema`,
`/properties/A/B` -> `A/B` (`*` stays for array items), and `nameProperty`: the
create-only property that is the type's physical name (see `name_property`).

Where CloudFormation documents a property's update as "Replacement" but the
registry schema marks it only conditionally create-only (or not at all), the
reviewed list in scripts/documented-replacements.json moves it into
`createOnly` (and names it in `documentedReplacement`), so cairn says
"requires replacement" where the documentation says so. Its `updateFails`
section lists properties whose documented update fails instead (KMS keys):
they go into `updateFails`, and cairn says the deploy would fail.

Only the schemas shipped in the cfn-lint wheel are read (never cfn-lint's
user cache nor the network), so the output depends only on the pinned
cfn-lint version and is byte-for-byte reproducible.

Usage:  .venv/bin/python scripts/gen-replacement-table.py [--types FILE] [--out FILE] [--documented FILE]
                                                        [--region R] [--check]
                                                        [--any-cfn-lint]
        (or `make replacement-table`)
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TYPES = REPO / "scripts" / "resource-types.txt"
DEFAULT_OUT = REPO / "crates" / "core" / "data" / "resource-types.json"
DEFAULT_DOCUMENTED = REPO / "scripts" / "documented-replacements.json"
PREFIX = "/properties/"


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


def read_types(path: Path) -> list[str]:
    types = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.count("::") != 2:
            sys.exit(f"error: {path}:{n}: not a resource type: {line!r}")
        types.append(line)
    dups = sorted({t for t in types if types.count(t) > 1})
    if dups:
        sys.exit(f"error: {path}: duplicate types: {', '.join(dups)}")
    return types


def to_path(pointer: str, type_name: str) -> str:
    if not pointer.startswith(PREFIX):
        sys.exit(f"error: {type_name}: unexpected JSON pointer {pointer!r} (expected {PREFIX}...)")
    # JSON pointer unescaping (RFC 6901); property names never contain '/' or '~' in practice.
    return pointer[len(PREFIX):].replace("~1", "/").replace("~0", "~")


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


def tag_shape(schema: dict) -> str:
    """How the type takes tags: "list" of Key/Value, "map" of key to value, or "none"."""
    tags = schema.get("properties", {}).get("Tags")
    if tags is None:
        return "none"
    tags = resolve(schema, tags)
    kind = tags.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "array":
        item = resolve(schema, tags.get("items", {}))
        props = item.get("properties", {})
        return "list" if "Key" in props and "Value" in props else "none"
    if kind == "object":
        return "map"
    return "none"


def name_property(type_name: str, create_only: list[str]) -> str | None:
    """The create-only property that is the type's physical name (`TableName`,
    `DBInstanceIdentifier`, `Name`, `GroupName` of a SecurityGroup): `Name`,
    `<Type>Name`, `<Type>Identifier`, or `<X>Name` where the type's name ends with
    `<X>` (`AWS::CloudWatch::CompositeAlarm` `AlarmName`). A resource with such a
    name set cannot be replaced: CloudFormation refuses ("cannot update a stack when
    a custom-named resource requires replacing")."""
    suffix = type_name.split("::")[2]
    found = [
        p
        for p in create_only
        if "/" not in p
        and (
            p in ("Name", f"{suffix}Name", f"{suffix}Identifier")
            or (p.endswith("Name") and len(p) > 4 and suffix.endswith(p[: -len("Name")]))
        )
    ]
    if len(found) > 1:
        sys.exit(f"error: {type_name}: several create-only properties look like its name: {', '.join(found)}")
    return found[0] if found else None


def read_documented(path: Path, types: list[str], section: str = "types") -> dict[str, list[str]]:
    """The reviewed list of documented replacements (`types`) or of properties whose
    update fails (`updateFails`): type -> property names."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for t, props in data.get(section, {}).items():
        if t not in types:
            sys.exit(f"error: {path}: {t} is not in scripts/resource-types.txt")
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


def build(
    types: list[str],
    region: str,
    documented: dict[str, list[str]],
    documented_path: Path,
    update_fails: dict[str, list[str]] | None = None,
) -> dict:
    d = schema_dir()
    provider_file = d / "providers" / f"{region}.json"
    if not provider_file.is_file():
        sys.exit(f"error: no provider schema map {provider_file}")
    provider = json.loads(provider_file.read_text(encoding="utf-8"))
    version = json.loads((d / "version.json").read_text(encoding="utf-8"))
    out_types = {}
    schemas = {}
    missing = []
    for t in types:
        key = provider.get(t)
        if key is None:
            missing.append(t)
            continue
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
        }
        name = name_property(t, out_types[t]["createOnly"])
        if name:
            out_types[t]["nameProperty"] = name
    if missing:
        sys.exit(f"error: not in cfn-lint's {region} provider schemas: {', '.join(missing)}")
    apply_documented(out_types, schemas, documented, documented_path)
    apply_update_fails(out_types, schemas, update_fails or {}, documented_path)
    return {
        "source": f"cfn-lint {metadata.version('cfn-lint')} schemas ({region})",
        "schemaDate": version.get("schema_date", ""),
        "generatedBy": "scripts/gen-replacement-table.py",
        "types": out_types,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--types", type=Path, default=DEFAULT_TYPES)
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

    types = read_types(args.types)
    documented = read_documented(args.documented, types)
    update_fails = read_documented(args.documented, types, "updateFails")
    table = build(types, args.region, documented, args.documented, update_fails)
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run `make replacement-table`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(json.loads(text)['types'])} types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
