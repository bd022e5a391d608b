import Foundation
import Hummingbird

/// A JSON request body as a Sendable value: message payloads, action parameters, `$batch`.
///
/// Objects are looked up without regard to case: the docs send action parameters in camel
/// case (`destinationId`) while the metadata declares them in Pascal case (`DestinationId`),
/// and Graph accepts both (GRAPH.md §0).
enum RequestJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([RequestJSON])
    case object([String: RequestJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([RequestJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: RequestJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Graph's answer to a body that is not JSON.
    static let unreadable = GraphError.badRequest(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")

    /// Parses a request body. An empty body is nil.
    static func parse(_ buffer: ByteBuffer) throws(GraphError) -> RequestJSON? {
        guard buffer.readableBytes > 0 else { return nil }
        let bytes = Data(buffer.readableBytesView)
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return nil }
        do {
            return try JSONDecoder().decode(RequestJSON.self, from: bytes)
        } catch {
            throw unreadable
        }
    }

    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding this enum cannot fail: every case maps to a JSON value.
        return Array((try? encoder.encode(self)) ?? Data("null".utf8))
    }

    var objectValue: [String: RequestJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var isNull: Bool { self == .null }

    /// A member of an object, matched without regard to case; nil when absent.
    subscript(_ name: String) -> RequestJSON? {
        guard case .object(let members) = self else { return nil }
        if let exact = members[name] { return exact }
        let lowered = name.lowercased()
        return members.first { $0.key.lowercased() == lowered }?.value
    }

    /// The member names of an object.
    var keys: [String] {
        objectValue.map { Array($0.keys) } ?? []
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "Boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// Typed reads of request members, with Graph-style 400s for the wrong type.
extension RequestJSON {
    static func wrongType(_ name: String, expected: String) -> GraphError {
        .badRequest("The value of '\(name)' is not valid: expected \(expected).", code: "ErrorInvalidRequest")
    }

    func string(_ name: String) throws(GraphError) -> String? {
        switch self[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw Self.wrongType(name, expected: "a string")
        }
    }

    /// A Boolean; `"true"`/`"false"` strings are accepted too (the sendMail example sends
    /// `"SaveToSentItems": "false"`).
    func bool(_ name: String) throws(GraphError) -> Bool? {
        switch self[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case .string(let text)? where text.lowercased() == "true": return true
        case .string(let text)? where text.lowercased() == "false": return false
        default: throw Self.wrongType(name, expected: "true or false")
        }
    }

    func object(_ name: String) throws(GraphError) -> RequestJSON? {
        switch self[name] {
        case nil, .null?: return nil
        case .object(let value)?: return .object(value)
        default: throw Self.wrongType(name, expected: "an object")
        }
    }

    func array(_ name: String) throws(GraphError) -> [RequestJSON]? {
        switch self[name] {
        case nil, .null?: return nil
        case .array(let value)?: return value
        default: throw Self.wrongType(name, expected: "an array")
        }
    }

    func strings(_ name: String) throws(GraphError) -> [String]? {
        guard let items = try array(name) else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let value) = item else { throw Self.wrongType(name, expected: "an array of strings") }
            result.append(value)
        }
        return result
    }
}
