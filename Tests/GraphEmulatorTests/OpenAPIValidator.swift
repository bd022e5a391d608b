import Foundation

// Validation of JSON documents against Microsoft's OpenAPI description of Graph mail
// (Tests/GraphEmulatorTests/OpenAPI/*.json, extracted by scripts/extract-openapi-schemas.py).
//
// It covers the OpenAPI 3.0 schema subset those files use: type, nullable, properties, required,
// additionalProperties, items, enum, $ref, allOf, anyOf, oneOf, pattern, minimum, maximum and the
// formats date-time, date, time, int32, int64, double and base64url. On top of plain OpenAPI it
// applies the OData JSON rules that Graph responses follow:
//
// - allOf is schema inheritance (entity → outlookItem → message): the properties of all parts are
//   merged before undeclared properties are judged, as every OpenAPI tool does for allOf.
// - `additionalProperties: {type: object}`, which Microsoft's generator puts on every type, is read
//   literally: an undeclared property must be an object. So a misspelt or invented scalar property
//   is reported, while Graph's documents still allow undeclared structured values.
// - `@odata.type` names the instance's type; when it names a type derived from the declared one
//   (`#microsoft.graph.fileAttachment` where `attachment` is declared), the derived schema applies.
//   An instance of an abstract type (attachment, outlookItem) must carry it.
// - Instance annotations `@odata.*` are allowed on every object (string values, `@odata.count` an
//   integer), `@removed` on entities (delta tombstones), and `property@odata.*` property
//   annotations next to declared properties. Other annotations are reported.
// - A `null` is accepted for a property whose schema is a bare `$ref`: OpenAPI 3.0 allows no
//   `nullable` next to `$ref`, so Microsoft's 2023 generator could not mark such properties, while
//   the CSDL declares them nullable (Nullable defaults to true) and Microsoft's later documents write
//   them as `anyOf: [{$ref}, {nullable: true}]`. Array items and top-level documents get no such leniency.

// MARK: - JSON values

/// A parsed JSON document. Numbers keep their literal text so that `1` and `1.0` stay apart
/// (an `integer` must be written without fraction or exponent).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let literal): Self.isIntegerLiteral(literal) ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    static func isIntegerLiteral(_ literal: String) -> Bool {
        !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    /// Parses strict JSON (RFC 8259). Duplicate object keys are an error: their meaning is undefined.
    static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }

    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Data(text.utf8))
    }
}

struct JSONParseError: Error, CustomStringConvertible, Equatable {
    let offset: Int
    let reason: String
    var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected data after the document") }
        return value
    }

    private func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default: return try parseNumber()
        }
    }

    private mutating func expectLiteral(_ word: String) throws(JSONParseError) {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw fail("expected '\(word)'")
        }
        index += expected.count
    }

    private mutating func nest() throws(JSONParseError) {
        depth += 1
        // Deep enough for any Graph payload, shallow enough that recursion cannot exhaust the stack.
        guard depth <= 512 else { throw fail("nesting deeper than 512 levels") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            let value = try parseValue()
            guard members.updateValue(value, forKey: key) == nil else {
                throw JSONParseError(offset: keyOffset, reason: "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            } else {
                throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            } else {
                throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                flush(&run, into: &scalars)
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush(&run, into: &scalars)
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else { throw fail("unpaired high surrogate") }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw fail("unpaired low surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("invalid code point") }
                    scalars.append(scalar)
                default:
                    throw fail("invalid escape")
                }
            case 0x00..<0x20:
                throw fail("unescaped control character in a string")
            default:
                run.append(byte)
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        else { throw fail("invalid \\u escape") }
        index += 4
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        func digits(_ parser: inout JSONParser) -> Int {
            let from = parser.index
            while parser.index < parser.bytes.count, (0x30...0x39).contains(parser.bytes[parser.index]) { parser.index += 1 }
            return parser.index - from
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("unexpected character") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            _ = digits(&self)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw fail("expected digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw fail("expected exponent digits") }
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }
}

// MARK: - The description

/// One extracted OpenAPI description (`OpenAPI/v1.0.json` or `OpenAPI/beta.json`).
struct OpenAPIDescription: Sendable {
    enum Version: String, Sendable, CaseIterable {
        case v1 = "v1.0"
        case beta
    }

    struct Operation: Sendable {
        let id: String
        let method: String
        let path: String
        /// The one 2xx status the description declares (Microsoft's generator, not always the docs).
        let status: Int
        /// The 2xx response body's schema; nil when the operation declares no content.
        let schema: JSONValue?
    }

    enum LoadError: Error, CustomStringConvertible {
        case unreadable(path: String, underlying: String)
        case malformed(path: String, reason: String)

        var description: String {
            switch self {
            case .unreadable(let path, let underlying): "cannot read \(path): \(underlying)"
            case .malformed(let path, let reason): "\(path) is not an extracted description: \(reason)"
            }
        }
    }

    let version: Version
    let operations: [String: Operation]
    let schemas: [String: JSONValue]
    /// Types the CSDL marks abstract: an instance must say which concrete type it is.
    let abstractTypes: Set<String>

    /// The descriptions are found next to this source file, so that `swift test` needs neither a
    /// bundle resource nor the shared folder they were extracted from.
    static func directory(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("OpenAPI")
    }

    static func load(_ version: Version, from directory: URL = directory()) throws -> OpenAPIDescription {
        let url = directory.appendingPathComponent("\(version.rawValue).json")
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LoadError.unreadable(path: url.path, underlying: "\(error)")
        }
        let document = try JSONValue.parse(data)
        guard case .object(let rawOperations)? = document["operations"],
              case .object(let schemas)? = document["schemas"],
              case .array(let abstract)? = document["abstractTypes"]
        else { throw LoadError.malformed(path: url.path, reason: "operations, schemas or abstractTypes missing") }
        var operations: [String: Operation] = [:]
        for (id, raw) in rawOperations {
            guard let method = raw["method"]?.stringValue, let path = raw["path"]?.stringValue,
                  let statusText = raw["status"]?.stringValue, let status = Int(statusText)
            else { throw LoadError.malformed(path: url.path, reason: "operation \(id) is incomplete") }
            let schema = raw["schema"].flatMap { $0 == .null ? nil : $0 }
            operations[id] = Operation(id: id, method: method, path: path, status: status, schema: schema)
        }
        return OpenAPIDescription(
            version: version, operations: operations, schemas: schemas,
            abstractTypes: Set(abstract.compactMap(\.stringValue)))
    }

    /// Loaded once per test process.
    static let loaded: [Version: Result<OpenAPIDescription, any Error>] = Dictionary(
        uniqueKeysWithValues: Version.allCases.map { version in (version, Result { try load(version) }) })

    static func shared(_ version: Version) throws -> OpenAPIDescription {
        try loaded[version]!.get()
    }
}

// MARK: - Validation

struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where, as a JSONPath (`$.value[3].from.emailAddress`).
    let path: String
    let message: String
    var description: String { "\(path): \(message)" }
}

struct OpenAPIValidator: Sendable {
    static let schemaPrefix = "#/components/schemas/"
    static let errorSchema = "microsoft.graph.ODataErrors.ODataError"
    static let entitySchema = "microsoft.graph.entity"
    /// The `@removed` reasons of delta tombstones (Microsoft's delta query overview).
    static let removedReasons: Set<String> = ["changed", "deleted"]

    let description: OpenAPIDescription
    private let shapes: [String: ObjectShape]
    private let patterns: [String: CompiledPattern]

    init(_ description: OpenAPIDescription) {
        self.description = description
        var shapes: [String: ObjectShape] = [:]
        for name in description.schemas.keys.sorted() {
            _ = Self.shape(named: name, schemas: description.schemas, cache: &shapes)
        }
        self.shapes = shapes
        var patterns: [String: CompiledPattern] = [:]
        Self.collectPatterns(in: Array(description.schemas.values) + description.operations.values.compactMap(\.schema), into: &patterns)
        self.patterns = patterns
    }

    /// Validates `value` against an inline schema (or a `{"$ref": ...}`).
    func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, schema, at: "$", position: .document, into: &violations)
        return violations
    }

    /// Validates `value` against the component schema `name` (e.g. `microsoft.graph.message`).
    func validate(_ value: JSONValue, schemaNamed name: String) -> [SchemaViolation] {
        validate(value, against: .object(["$ref": .string(Self.schemaPrefix + name)]))
    }

    enum LookupError: Error, CustomStringConvertible {
        case unknownOperation(String, OpenAPIDescription.Version)
        case noContent(String)

        var description: String {
            switch self {
            case .unknownOperation(let id, let version): "the \(version.rawValue) description has no operation \(id)"
            case .noContent(let id): "\(id) declares no response body"
            }
        }
    }

    /// Validates `value` against the 2xx response schema of the operation `operationID`.
    func validate(_ value: JSONValue, responseOf operationID: String) throws(LookupError) -> [SchemaViolation] {
        guard let operation = description.operations[operationID] else {
            throw .unknownOperation(operationID, description.version)
        }
        guard let schema = operation.schema else { throw .noContent(operationID) }
        return validate(value, against: schema)
    }

    // MARK: Schema walk

    private enum Position {
        case document, property, item, undeclared
    }

    private func check(
        _ value: JSONValue, _ schemaValue: JSONValue, at path: String, position: Position, name: String? = nil,
        into violations: inout [SchemaViolation]
    ) {
        guard case .object(let schema) = schemaValue else {
            if schemaValue == .bool(false) { violations.append(.init(path: path, message: "no value is allowed here")) }
            return
        }
        if let reference = schema["$ref"] {
            guard let target = reference.stringValue, target.hasPrefix(Self.schemaPrefix),
                  let resolved = description.schemas[String(target.dropFirst(Self.schemaPrefix.count))]
            else {
                violations.append(.init(path: path, message: "the description has no schema for $ref \(reference)"))
                return
            }
            if value == .null, position == .property { return }
            check(value, resolved, at: path, position: position, name: String(target.dropFirst(Self.schemaPrefix.count)), into: &violations)
            return
        }
        let label = name.map { " (\($0))" } ?? ""

        if value == .null {
            if schema["nullable"] == .bool(true) { return }
            let constrains = ["type", "allOf", "enum", "properties"].contains { schema[$0] != nil }
            if constrains {
                violations.append(.init(path: path, message: "is null, but the schema\(label) is not nullable"))
                return
            }
        }

        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            let names = allowed.map { $0.stringValue.map { "\"\($0)\"" } ?? "\($0)" }.joined(separator: ", ")
            violations.append(.init(path: path, message: "\(Self.show(value)) is not one of \(names)\(label)"))
        }

        if let type = schema["type"]?.stringValue, !Self.matches(value, type: type) {
            violations.append(.init(path: path, message: "expected \(type)\(label), got \(Self.show(value))"))
            return
        }
        checkScalarConstraints(value, schema, at: path, into: &violations)

        if case .array(let branches)? = schema["anyOf"] {
            let results = branches.map { branch in validate(value, branch, at: path, position: position) }
            if !results.contains(where: \.isEmpty) {
                let closest = results.min { $0.count < $1.count } ?? []
                violations.append(.init(
                    path: path, message: "matches none of the anyOf alternatives; closest: \(closest.map(\.description).joined(separator: "; "))"))
            }
        }
        if case .array(let branches)? = schema["oneOf"] {
            let matching = branches.filter { validate(value, $0, at: path, position: position).isEmpty }.count
            if matching != 1 {
                violations.append(.init(path: path, message: "matches \(matching) of the oneOf alternatives instead of exactly one"))
            }
        }

        if case .array(let elements) = value, let items = schema["items"] {
            for (offset, element) in elements.enumerated() {
                check(element, items, at: "\(path)[\(offset)]", position: .item, into: &violations)
            }
        }

        let describesObject = schema["allOf"] != nil || schema["properties"] != nil || schema["additionalProperties"] != nil
            || schema["type"] == .string("object")
        if describesObject {
            guard case .object(let members) = value else {
                if schema["type"] == nil { violations.append(.init(path: path, message: "expected object\(label), got \(Self.show(value))")) }
                return
            }
            let shape = name.flatMap { shapes[$0] } ?? Self.shape(of: schema, named: name, schemas: description.schemas, known: shapes)
            checkObject(members, shape: shape, at: path, into: &violations)
        }
    }

    private func validate(_ value: JSONValue, _ schema: JSONValue, at path: String, position: Position) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        check(value, schema, at: path, position: position, into: &found)
        return found
    }

    private func checkObject(_ members: [String: JSONValue], shape declared: ObjectShape, at path: String, into violations: inout [SchemaViolation]) {
        var shape = declared
        let isTombstone = members["@removed"] != nil
        if let annotation = members["@odata.type"] {
            if let resolved = resolveType(annotation, declared: declared, at: path, into: &violations) { shape = resolved }
        } else if let expected = declared.names.first, description.abstractTypes.contains(expected), !isTombstone {
            violations.append(.init(path: path, message: "\(expected) is abstract: the instance must name its type with @odata.type"))
        }
        let typeName = shape.names.first ?? "this object"

        if let removed = members["@removed"] {
            if !shape.names.contains(Self.entitySchema) {
                violations.append(.init(path: "\(path)['@removed']", message: "@removed is only valid on entities, not on \(typeName)"))
            } else if case .object(let details) = removed {
                if let reason = details["reason"], !(reason.stringValue.map(Self.removedReasons.contains) ?? false) {
                    violations.append(.init(
                        path: "\(path)['@removed'].reason",
                        message: "\(Self.show(reason)) is not a delta removal reason (\(Self.removedReasons.sorted().joined(separator: ", ")))"))
                }
            } else {
                violations.append(.init(path: "\(path)['@removed']", message: "expected object, got \(Self.show(removed))"))
            }
        }

        for required in shape.required.sorted() where members[required] == nil && !isTombstone {
            violations.append(.init(path: path, message: "required property '\(required)' of \(typeName) is missing"))
        }

        for key in members.keys.sorted() {
            let value = members[key]!
            let memberPath = Self.append(key, to: path)
            if let propertySchema = shape.properties[key] {
                check(value, propertySchema, at: memberPath, position: .property, into: &violations)
            } else if key.hasPrefix("@") {
                checkInstanceAnnotation(key, value, at: memberPath, into: &violations)
            } else if let at = key.firstIndex(of: "@") {
                let property = String(key[..<at])
                let term = key[at...]
                if shape.properties[property] == nil && members[property] == nil {
                    violations.append(.init(path: memberPath, message: "annotates '\(property)', which \(typeName) does not declare"))
                } else if !term.hasPrefix("@odata.") {
                    violations.append(.init(path: memberPath, message: "unknown property annotation \(term)"))
                }
            } else {
                switch shape.additional {
                case .any:
                    break
                case .forbidden:
                    violations.append(.init(path: memberPath, message: "property not declared by \(typeName)"))
                case .schema(let additional):
                    let problems = validate(value, additional, at: memberPath, position: .undeclared)
                    if !problems.isEmpty {
                        violations.append(.init(
                            path: memberPath,
                            message: "property not declared by \(typeName), and additionalProperties does not allow it: "
                                + problems.map(\.message).joined(separator: "; ")))
                    }
                }
            }
        }
    }

    /// The shape that applies to an object whose `@odata.type` is `annotation`.
    private func resolveType(_ annotation: JSONValue, declared: ObjectShape, at path: String, into violations: inout [SchemaViolation]) -> ObjectShape? {
        let annotationPath = "\(path)['@odata.type']"
        guard let text = annotation.stringValue else {
            violations.append(.init(path: annotationPath, message: "expected string, got \(Self.show(annotation))"))
            return nil
        }
        guard text.hasPrefix("#") else {
            violations.append(.init(path: annotationPath, message: "\"\(text)\" must be a type reference starting with '#' (e.g. #microsoft.graph.message)"))
            return nil
        }
        let typeName = String(text.dropFirst())
        guard let actual = shapes[typeName] else {
            violations.append(.init(path: annotationPath, message: "\(typeName) is not a type of this description"))
            return nil
        }
        guard let expected = declared.names.first else { return actual }
        guard actual.names.contains(expected) else {
            violations.append(.init(path: annotationPath, message: "\(typeName) is not \(expected) or a type derived from it"))
            return nil
        }
        return actual
    }

    private func checkInstanceAnnotation(_ key: String, _ value: JSONValue, at path: String, into violations: inout [SchemaViolation]) {
        switch key {
        case "@removed":
            return  // checked with the object, which knows whether it is an entity
        case "@odata.count":
            if !Self.matches(value, type: "integer") {
                violations.append(.init(path: path, message: "expected integer, got \(Self.show(value))"))
            }
        default:
            if key.hasPrefix("@odata.") {
                if value.stringValue == nil { violations.append(.init(path: path, message: "expected string, got \(Self.show(value))")) }
            } else {
                violations.append(.init(path: path, message: "unknown instance annotation \(key)"))
            }
        }
    }

    private func checkScalarConstraints(_ value: JSONValue, _ schema: [String: JSONValue], at path: String, into violations: inout [SchemaViolation]) {
        switch value {
        case .string(let text):
            if let pattern = schema["pattern"]?.stringValue {
                // The description's patterns are compiled once; a caller's inline schema may bring others.
                if let compiled = patterns[pattern] ?? CompiledPattern(pattern) {
                    if !compiled.matches(text) {
                        violations.append(.init(path: path, message: "\"\(text)\" does not match the pattern \(pattern)"))
                    }
                } else {
                    violations.append(.init(path: path, message: "the schema's pattern \(pattern) is not a valid regular expression"))
                }
            }
            if let format = schema["format"]?.stringValue, let problem = Self.formatProblem(text, format: format) {
                violations.append(.init(path: path, message: problem))
            }
        case .number(let literal):
            if let format = schema["format"]?.stringValue {
                switch format {
                case "int32" where Int32(literal) == nil:
                    violations.append(.init(path: path, message: "\(literal) is not an int32"))
                case "int64" where Int64(literal) == nil:
                    violations.append(.init(path: path, message: "\(literal) is not an int64"))
                case "double" where Double(literal).map({ !$0.isFinite }) ?? true:
                    violations.append(.init(path: path, message: "\(literal) is not a finite double"))
                default:
                    break
                }
            }
            guard let number = Double(literal) else { return }
            if let minimum = schema["minimum"].flatMap(Self.number), number < minimum {
                violations.append(.init(path: path, message: "\(literal) is below the minimum \(minimum)"))
            }
            if let maximum = schema["maximum"].flatMap(Self.number), number > maximum {
                violations.append(.init(path: path, message: "\(literal) is above the maximum \(maximum)"))
            }
        default:
            break
        }
    }

    // MARK: Helpers

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("number", .number): true
        case ("integer", .number(let literal)): JSONValue.isIntegerLiteral(literal)
        default: false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        if case .number(let literal) = value { return Double(literal) }
        return nil
    }

    /// A short rendering of a value for messages; long strings are cut.
    static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let text):
            let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
            return "string \"\(shown)\""
        case .number(let literal): return "\(value.kindName) \(literal)"
        case .bool(let flag): return "boolean \(flag)"
        default: return value.kindName
        }
    }

    static func append(_ key: String, to path: String) -> String {
        let plain = key.first.map { $0.isLetter || $0 == "_" } == true && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return plain ? "\(path).\(key)" : "\(path)['\(key)']"
    }

    /// Checks the formats these descriptions use. Unknown formats are annotations only (OpenAPI 3.0).
    static func formatProblem(_ text: String, format: String) -> String? {
        switch format {
        case "date-time":
            return isDateTime(text) ? nil : "\"\(text)\" is not an RFC 3339 date-time"
        case "date":
            return isDate(Substring(text)) ? nil : "\"\(text)\" is not a date (yyyy-mm-dd)"
        case "time":
            return isTime(Substring(text)) ? nil : "\"\(text)\" is not a time of day (hh:mm:ss[.fff])"
        case "base64url":
            return isBase64(text) ? nil : "\"\(text.prefix(40))\" is not base64 content"
        default:
            return nil
        }
    }

    private static func isDate(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count >= 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }

    private static func isTime(_ text: Substring) -> Bool {
        let (clock, fraction) = text.firstIndex(of: ".").map { (text[..<$0], Optional(text[text.index(after: $0)...])) } ?? (text, nil)
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), let second = Int(parts[2])
        else { return false }
        if let fraction, fraction.isEmpty || !fraction.allSatisfy(\.isASCIIDigit) { return false }
        return hour < 24 && minute < 60 && second < 60
    }

    private static func isDateTime(_ text: String) -> Bool {
        guard let separator = text.firstIndex(of: "T") else { return false }
        var rest = text[text.index(after: separator)...]
        if rest.hasSuffix("Z") {
            rest = rest.dropLast()
        } else {
            guard rest.count > 6 else { return false }
            let offset = rest.suffix(6)
            let sign = offset.first!
            let zone = offset.dropFirst()
            guard sign == "+" || sign == "-", zone.count == 5, zone[zone.index(zone.startIndex, offsetBy: 2)] == ":",
                  zone.filter(\.isASCIIDigit).count == 4
            else { return false }
            rest = rest.dropLast(6)
        }
        return isDate(text[..<separator]) && isTime(rest)
    }

    /// Graph writes Edm.Binary in standard base64 although OData names the format base64url, so
    /// both alphabets are accepted; padding may only end the text.
    private static func isBase64(_ text: String) -> Bool {
        let body = text.reversed().drop(while: { $0 == "=" })
        let padding = text.count - body.count
        guard padding <= 2, body.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/-_".contains($0)) }) else { return false }
        return padding == 0 ? text.count % 4 != 1 : text.count % 4 == 0
    }

    private static func collectPatterns(in schemas: [JSONValue], into patterns: inout [String: CompiledPattern]) {
        for schema in schemas {
            switch schema {
            case .object(let members):
                if let pattern = members["pattern"]?.stringValue, patterns[pattern] == nil {
                    patterns[pattern] = CompiledPattern(pattern)
                }
                collectPatterns(in: Array(members.values), into: &patterns)
            case .array(let elements):
                collectPatterns(in: elements, into: &patterns)
            default:
                break
            }
        }
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

// MARK: - Object shapes

/// The merged view of an object schema and its allOf ancestors.
private struct ObjectShape: Sendable {
    enum Additional: Sendable {
        case any, forbidden
        case schema(JSONValue)
    }

    /// Component names from the most derived to the root (`message`, `outlookItem`, `entity`).
    var names: [String] = []
    var properties: [String: JSONValue] = [:]
    var required: Set<String> = []
    var additional: Additional = .any

    mutating func merge(_ other: ObjectShape) {
        names += other.names
        properties.merge(other.properties) { own, _ in own }
        required.formUnion(other.required)
        switch (additional, other.additional) {
        case (.forbidden, _), (_, .any): break
        case (_, .forbidden): additional = .forbidden
        case (.any, .schema(let schema)): additional = .schema(schema)
        case (.schema, .schema): break
        }
    }
}

extension OpenAPIValidator {
    fileprivate static func shape(named name: String, schemas: [String: JSONValue], cache: inout [String: ObjectShape]) -> ObjectShape? {
        if let known = cache[name] { return known }
        guard case .object(let schema)? = schemas[name] else { return nil }
        let isObject = schema["allOf"] != nil || schema["properties"] != nil || schema["type"] == .string("object")
        guard isObject else { return nil }
        let built = buildShape(schema, named: name, schemas: schemas, resolve: { reference in
            shape(named: reference, schemas: schemas, cache: &cache)
        })
        cache[name] = built
        return built
    }

    fileprivate static func shape(of schema: [String: JSONValue], named name: String?, schemas: [String: JSONValue], known: [String: ObjectShape]) -> ObjectShape {
        buildShape(schema, named: name, schemas: schemas, resolve: { known[$0] })
    }

    private static func buildShape(
        _ schema: [String: JSONValue], named name: String?, schemas: [String: JSONValue],
        resolve: (String) -> ObjectShape?
    ) -> ObjectShape {
        var shape = ObjectShape()
        if let name { shape.names = [name] }
        if case .object(let properties)? = schema["properties"] { shape.properties = properties }
        if case .array(let required)? = schema["required"] { shape.required = Set(required.compactMap(\.stringValue)) }
        switch schema["additionalProperties"] {
        case nil, .bool(true)?: shape.additional = .any
        case .bool(false)?: shape.additional = .forbidden
        case let other?: shape.additional = .schema(other)
        }
        // allOf is inheritance: own members first, then each part's (the base type's) in order,
        // so that names run from the most derived type to the root.
        if case .array(let parts)? = schema["allOf"] {
            for case .object(let part) in parts {
                if let reference = part["$ref"]?.stringValue, reference.hasPrefix(schemaPrefix) {
                    if let inherited = resolve(String(reference.dropFirst(schemaPrefix.count))) { shape.merge(inherited) }
                } else {
                    shape.merge(buildShape(part, named: nil, schemas: schemas, resolve: resolve))
                }
            }
        }
        return shape
    }
}

/// `NSRegularExpression` is immutable and documented as thread-safe, but not marked `Sendable`
/// on every platform; the wrapper only exposes matching.
private struct CompiledPattern: @unchecked Sendable {
    private let expression: NSRegularExpression

    init?(_ pattern: String) {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return nil }
        self.expression = expression
    }

    /// An ECMA-262 pattern matches anywhere unless it anchors itself (Microsoft's patterns do).
    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
