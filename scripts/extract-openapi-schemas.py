#!/usr/bin/env python3
"""Extracts the parts of Microsoft's Graph descriptions that the emulator's conformance tests need.

Reads ../shared/graph-openapi/{v1.0,beta}-mail.yaml (Microsoft's per-module OpenAPI documents,
filtered; see SOURCE.md there) and {v1.0,beta}-mail.csdl.xml (subsets of Microsoft's CSDL), and
writes Tests/GraphEmulatorTests/OpenAPI/{v1.0,beta}.json:

- "operations": the operations the emulator serves (by operationId), each with its method, path,
  2xx status and the schema of that 2xx response (null when the operation declares no content);
- "schemas": every component schema those responses reach through $ref, plus the error envelope
  and microsoft.graph.mailboxSettings (GET/PATCH /me/mailboxSettings has no path in the module
  documents), copied unchanged except that description, example and title texts are dropped;
- derived entity types that the OpenAPI subset lacks (fileAttachment, itemAttachment,
  referenceAttachment, mailSearchFolder, eventMessage, ...), converted from the CSDL to the form
  Microsoft's OpenAPI generator gives (allOf [base, own properties]), plus what they reference;
- "abstractTypes": entity types the CSDL marks Abstract (an instance must name its concrete type
  with @odata.type), and "csdlDerived": the names converted from the CSDL.

The test suite reads only the JSON files, so `swift test` needs neither this script nor the shared
folder. Run it again after the shared files change:

    python3 scripts/extract-openapi-schemas.py [--source ../shared/graph-openapi] [--output DIR]

Needs Python 3 and PyYAML.
"""

import argparse
import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import yaml

# SHA-256 of the shared files as SOURCE.md records them, so the output names exactly what it came from.
EXPECTED_SHA256 = {
    "v1.0-mail.yaml": "e07c6e482d3889ae5b903265fe310aa67726f4976a147667c9ebb7454493fcee",
    "beta-mail.yaml": "f6984e312618aaa8418738a85695d4c2237680d8ca489b951a7e6c0e52ee6952",
    "v1.0-mail.csdl.xml": "7dd4713614517990f5f5ee28e775cb6fa775cff94fbda9587705dcef5eb736cf",
    "beta-mail.csdl.xml": "dd2cc1a3d7f831919159152beae1bd613ad4d8d92c39da1213b12544d7f81504",
}

# Provenance, from SOURCE.md.
OPENAPI_ORIGIN = {
    "v1.0": {
        "repository": "microsoftgraph/msgraph-sdk-powershell (read through the fork merill/msgraph-sdk-powershell, "
                      "ref patch-1, commit 3da13fc2e9f9517cafc544524fe6519c3f18499a)",
        "files": "openApiDocs/v1.0/{Mail,Users.Actions,Users.Functions,Users}.yml",
        "lastWrittenBy": "103dc161e0c8a55805fa87074d7a3c9fbc79304d (2023-04-27)",
    },
    "beta": {
        "repository": "microsoftgraph/msgraph-sdk-powershell (read through the fork merill/msgraph-sdk-powershell, "
                      "ref patch-1, commit 3da13fc2e9f9517cafc544524fe6519c3f18499a)",
        "files": "openApiDocs/beta/{Mail,Users.Actions,Users.Functions,Users}.yml",
        "lastWrittenBy": "Mail.yml 103dc161e0c8a55805fa87074d7a3c9fbc79304d (2023-04-27); Users*.yml "
                         "180eb7e7a8b0813a51914e3c1b198b9173de6950 (2023-05-04)",
    },
}
CSDL_ORIGIN = {
    "v1.0": "microsoftgraph/msgraph-metadata schemas/v1.0-Prod.csdl, blob 435a552eb18701e751230456e1677373b4a3a49f "
            "(snapshot HEAD f54f11b60956ea7b185ca0447b2b80805836ec7b, 2026-08-20)",
    "beta": "microsoftgraph/msgraph-metadata clean_beta_metadata/cleanMetadata.xml at commit "
            "1196ce211c00071fd00170889f2cc8c12734ae4f (2021-06-08)",
}

# Operations of the emulator's mail surface. Kept: every operation on these paths. Left out:
# extensions, extended properties, message rules, user configurations, raw $value streams (not
# JSON), junk/unsubscribe actions, and /users/{id}/messages/delta (the CSDL marks user/messages as
# not change-tracked; delta is per folder).
KEPT_PATH = re.compile(
    r"^/users/\{user-id\}/("
    r"mailFolders|messages|inferenceClassification|"
    r"microsoft\.graph\.(sendMail|translateExchangeIds|getMailTips)$)")
DROPPED_PATH = re.compile(
    r"extensions|ExtendedProperties|messageRules|userConfigurations|/\$value|markAsJunk|markAsNotJunk|"
    r"unsubscribe|permanentDelete|^/users/\{user-id\}/messages/microsoft\.graph\.delta\(\)$")
METHODS = ("get", "post", "patch", "put", "delete")
EXTRA_ROOTS = ("microsoft.graph.mailboxSettings", "microsoft.graph.ODataErrors.ODataError")

SCHEMA_PREFIX = "#/components/schemas/"
RESPONSE_PREFIX = "#/components/responses/"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"

# Microsoft's generator writes Edm primitives like this (compare v1.0-mail.yaml).
DATE_TIME_PATTERN = ("^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                     "([.][0-9]{1,12})?(Z|[+-][0-9][0-9]:[0-9][0-9])$")
DATE_PATTERN = "^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$"
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?$"


def primitive_schema(edm_type):
    if edm_type == "Edm.String":
        return {"type": "string"}
    if edm_type == "Edm.Boolean":
        return {"type": "boolean"}
    if edm_type == "Edm.Int32":
        return {"maximum": 2147483647, "minimum": -2147483648, "type": "integer", "format": "int32"}
    if edm_type == "Edm.Int64":
        return {"type": "integer", "format": "int64"}
    if edm_type == "Edm.Double":
        # The generator writes oneOf [number, string, ReferenceNumeric]; "INF" would match two of
        # those, so the alternatives are given as anyOf here.
        return {"anyOf": [{"type": "number", "format": "double"},
                          {"type": "string", "enum": ["-INF", "INF", "NaN"]}]}
    if edm_type == "Edm.DateTimeOffset":
        return {"pattern": DATE_TIME_PATTERN, "type": "string", "format": "date-time"}
    if edm_type == "Edm.Date":
        return {"pattern": DATE_PATTERN, "type": "string", "format": "date"}
    if edm_type == "Edm.TimeOfDay":
        return {"pattern": TIME_PATTERN, "type": "string", "format": "time"}
    if edm_type == "Edm.Binary":
        return {"type": "string", "format": "base64url"}
    raise SystemExit(f"unsupported CSDL primitive type {edm_type}")


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strip_texts(schema):
    """Drops description/example texts of a schema, keeping its structure."""
    if isinstance(schema, list):
        return [strip_texts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key in ("description", "example", "examples", "title"):
            continue
        if key == "properties":
            result[key] = {name: strip_texts(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            result[key] = strip_texts(value)
        else:
            result[key] = value
    return result


def refs_in(schema):
    """Component schema names a schema refers to directly."""
    found = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(SCHEMA_PREFIX):
                    raise SystemExit(f"unexpected $ref {value}")
                found.append(value[len(SCHEMA_PREFIX):])
            else:
                found.extend(refs_in(value))
    elif isinstance(schema, list):
        for item in schema:
            found.extend(refs_in(item))
    return found


class CSDL:
    def __init__(self, path):
        root = ElementTree.parse(path).getroot()
        self.types = {}
        for element in root.iter():
            if element.tag in (EDM + "EntityType", EDM + "ComplexType", EDM + "EnumType"):
                name = "microsoft.graph." + element.get("Name")
                if element.get("Name") == "user":
                    continue  # an excerpt in the subset, not a usable type
                self.types[name] = element

    @staticmethod
    def qualified(type_name):
        if type_name.startswith("graph."):
            return "microsoft.graph." + type_name[len("graph."):]
        return type_name

    def base(self, name):
        element = self.types.get(name)
        if element is None or element.get("BaseType") is None:
            return None
        return self.qualified(element.get("BaseType"))

    def ancestors(self, name):
        chain = []
        base = self.base(name)
        while base is not None:
            chain.append(base)
            base = self.base(base)
        return chain

    def is_abstract(self, name):
        element = self.types.get(name)
        return element is not None and element.get("Abstract") == "true"

    def property_schema(self, element, navigation):
        type_name = element.get("Type")
        collection = type_name.startswith("Collection(")
        if collection:
            type_name = type_name[len("Collection("):-1]
        nullable = element.get("Nullable") != "false"
        if type_name.startswith("Edm."):
            single = primitive_schema(type_name)
            if nullable:
                single["nullable"] = True
        else:
            # Microsoft's generator writes a plain $ref for structured and enum properties.
            single = {"$ref": SCHEMA_PREFIX + self.qualified(type_name)}
        schema = {"type": "array", "items": single} if collection else single
        if navigation:
            schema = dict(schema)
            schema["x-ms-navigationProperty"] = True
        return schema

    def to_schema(self, name):
        element = self.types[name]
        if element.tag == EDM + "EnumType":
            return {"enum": [member.get("Name") for member in element.findall(EDM + "Member")], "type": "string"}
        properties = {}
        for child in element:
            if child.tag == EDM + "Property":
                properties[child.get("Name")] = self.property_schema(child, navigation=False)
            elif child.tag == EDM + "NavigationProperty":
                properties[child.get("Name")] = self.property_schema(child, navigation=True)
        own = {"type": "object", "properties": properties, "additionalProperties": {"type": "object"}}
        base = self.base(name)
        if base is None:
            return own
        return {"allOf": [{"$ref": SCHEMA_PREFIX + base}, own]}


def operation_records(document):
    operations = {}
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        if not KEPT_PATH.search(path) or DROPPED_PATH.search(path):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            successes = [code for code in operation["responses"] if code.startswith("2")]
            if len(successes) != 1:
                raise SystemExit(f"{method} {path}: expected one 2xx response, found {successes}")
            status = successes[0]
            response = operation["responses"][status]
            if "$ref" in response:
                response = responses[response["$ref"][len(RESPONSE_PREFIX):]]
            content = response.get("content", {}).get("application/json")
            operation_id = operation["operationId"]
            if operation_id in operations:
                raise SystemExit(f"duplicate operationId {operation_id}")
            operations[operation_id] = {
                "method": method.upper(),
                "path": path,
                "status": status,
                "schema": strip_texts(content["schema"]) if content else None,
            }
    return operations


def extract(version, source):
    yaml_path = source / f"{version}-mail.yaml"
    csdl_path = source / f"{version}-mail.csdl.xml"
    document = yaml.safe_load(yaml_path.read_text())
    all_schemas = document["components"]["schemas"]
    csdl = CSDL(csdl_path)

    operations = operation_records(document)
    roots = [name for op in operations.values() for name in refs_in(op["schema"])] + list(EXTRA_ROOTS)

    schemas = {}
    csdl_derived = []

    def add(name):
        if name in schemas:
            return
        if name in all_schemas:
            schemas[name] = strip_texts(all_schemas[name])
        elif name in csdl.types:
            schemas[name] = csdl.to_schema(name)
            csdl_derived.append(name)
        else:
            raise SystemExit(f"{version}: {name} is in neither the OpenAPI subset nor the CSDL subset")
        for referenced in refs_in(schemas[name]):
            add(referenced)

    for root in roots:
        add(root)
    # Entity types the CSDL derives from a kept entity type, which Graph names with @odata.type
    # (fileAttachment for attachment, mailSearchFolder for mailFolder, eventMessage for message).
    while True:
        derived = [name for name, element in csdl.types.items()
                   if element.tag == EDM + "EntityType" and name not in schemas
                   and any(ancestor in schemas for ancestor in csdl.ancestors(name))]
        if not derived:
            break
        for name in sorted(derived):
            add(name)

    abstract = sorted(name for name in schemas if csdl.is_abstract(name))
    return {
        "source": {
            "openapi": {"file": f"../shared/graph-openapi/{yaml_path.name}", "sha256": sha256(yaml_path),
                        "microsoftDocuments": OPENAPI_ORIGIN[version]},
            "csdl": {"file": f"../shared/graph-openapi/{csdl_path.name}", "sha256": sha256(csdl_path),
                     "microsoftDocument": CSDL_ORIGIN[version]},
            "generatedBy": "scripts/extract-openapi-schemas.py",
            "note": "Operations and schemas are Microsoft's, unchanged apart from dropped description/example/"
                    "title texts. The schemas named in csdlDerived are converted from the CSDL because the "
                    "OpenAPI subset lacks them.",
        },
        "operations": dict(sorted(operations.items())),
        "abstractTypes": abstract,
        "csdlDerived": sorted(csdl_derived),
        "schemas": dict(sorted(schemas.items())),
    }


def main():
    repository = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=repository.parent / "shared" / "graph-openapi")
    parser.add_argument("--output", type=Path, default=repository / "Tests" / "GraphEmulatorTests" / "OpenAPI")
    parser.add_argument("--allow-changed-sources", action="store_true",
                        help="accept shared files whose SHA-256 differs from SOURCE.md's")
    arguments = parser.parse_args()

    for name, expected in EXPECTED_SHA256.items():
        actual = sha256(arguments.source / name)
        if actual != expected and not arguments.allow_changed_sources:
            sys.exit(f"{name}: SHA-256 {actual} differs from SOURCE.md's {expected}; "
                     "update EXPECTED_SHA256 and the provenance notes, or pass --allow-changed-sources")

    arguments.output.mkdir(parents=True, exist_ok=True)
    for version in ("v1.0", "beta"):
        result = extract(version, arguments.source)
        target = arguments.output / f"{version}.json"
        # One schema or operation per line: small, and diffs stay readable.
        lines = ["{"]
        sections = list(result.items())
        for index, (key, value) in enumerate(sections):
            comma = "," if index < len(sections) - 1 else ""
            if isinstance(value, dict) and key in ("operations", "schemas"):
                lines.append(f" {json.dumps(key)}: {{")
                entries = list(value.items())
                for entry_index, (name, body) in enumerate(entries):
                    entry_comma = "," if entry_index < len(entries) - 1 else ""
                    lines.append(f"  {json.dumps(name)}: {json.dumps(body, separators=(',', ':'))}{entry_comma}")
                lines.append(f" }}{comma}")
            else:
                lines.append(f" {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}{comma}")
        lines.append("}")
        target.write_text("\n".join(lines) + "\n")
        json.loads(target.read_text())  # the hand-made layout must still be JSON
        print(f"{target}: {len(result['operations'])} operations, {len(result['schemas'])} schemas "
              f"({len(result['csdlDerived'])} from the CSDL), {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
