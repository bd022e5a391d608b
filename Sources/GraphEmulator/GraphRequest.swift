import Foundation
import Hummingbird

/// The query string of a request, with the raw form kept so that `@odata.nextLink` can
/// repeat the caller's options exactly.
struct QueryOptions: Sendable {
    struct Item: Sendable {
        var rawKey: String
        var rawValue: String
        var key: String
        var value: String
    }

    var items: [Item]

    init(rawQuery: String?) throws(GraphError) {
        items = []
        guard let rawQuery, !rawQuery.isEmpty else { return }
        var seen: Set<String> = []
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawKey = String(parts[0])
            let rawValue = parts.count > 1 ? String(parts[1]) : ""
            guard let key = Self.decode(rawKey), let value = Self.decode(rawValue) else {
                throw .badRequest("The query string is not correctly percent-encoded.")
            }
            if !seen.insert(key.lowercased()).inserted {
                throw .badRequest("Query option '\(key)' was specified more than once, but it must be specified at most once.")
            }
            items.append(Item(rawKey: rawKey, rawValue: rawValue, key: key, value: value))
        }
    }

    /// Option names are case-insensitive in Graph (`$Select`, `$top`).
    func value(_ name: String) -> String? {
        let lowered = name.lowercased()
        return items.first { $0.key.lowercased() == lowered }?.value
    }

    func contains(_ name: String) -> Bool { value(name) != nil }

    /// The raw query without `removed` options, plus `added` ones (already encoded).
    func rawQuery(removing removed: Set<String>, adding added: [(String, String)]) -> String {
        var parts = items.filter { !removed.contains($0.key.lowercased()) }.map { "\($0.rawKey)=\($0.rawValue)" }
        parts += added.map { "\($0.0)=\($0.1)" }
        return parts.joined(separator: "&")
    }

    /// Query strings use `+` for spaces, as Graph accepts (`receivedDateTime+ge+…`).
    private static func decode(_ text: String) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws(GraphError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw .badRequest(
                "Invalid value '\(text)' for query option '\(name)'; expected an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return number
    }

    func boolean(_ name: String) throws(GraphError) -> Bool? {
        guard let text = value(name) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .badRequest("Invalid value '\(text)' for query option '\(name)'; expected true or false.")
        }
    }
}

/// The `Prefer` header preferences the emulator honours.
struct Preferences: Sendable {
    var bodyContentType: EmulatedMessage.Body.ContentType?
    var immutableIDs = false
    var maxPageSize: Int?

    init(headerValues: [String]) {
        for value in headerValues {
            for preference in Self.split(value) {
                let parts = preference.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
                var setting = parts[1].trimmingCharacters(in: .whitespaces)
                if let semicolon = setting.firstIndex(of: ";") { setting = String(setting[..<semicolon]) }
                setting = setting.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).lowercased()
                switch name {
                case "outlook.body-content-type":
                    bodyContentType = EmulatedMessage.Body.ContentType(rawValue: setting)
                case "idtype":
                    immutableIDs = setting == "immutableid"
                case "odata.maxpagesize":
                    maxPageSize = Int(setting).flatMap { $0 > 0 ? $0 : nil }
                default:
                    continue
                }
            }
        }
    }

    /// Splits a header value on commas that are not inside quotes.
    private static func split(_ value: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for character in value {
            if character == "\"" { quoted.toggle() }
            if character == ",", !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }
}

/// A request to a Graph route, parsed.
struct GraphRequest: Sendable {
    enum Version: String, Sendable {
        case v1 = "v1.0"
        case beta
    }

    var method: HTTPRequest.Method
    var version: Version
    /// Percent-decoded path segments after `/v1.0/me` or `/v1.0/users/{id}`; key syntax
    /// `mailFolders('id')` is split into two segments.
    var segments: [String]
    /// The raw path as sent, for links that keep the caller's form.
    var rawPath: String
    var query: QueryOptions
    var preferences: Preferences
    /// `http://host:port` as the client addressed the server.
    var linkBase: String
    var userID: String
    /// The request body (empty for GET); collected up to Graph's 4 MB request limit.
    var body = ByteBuffer()
    /// The request headers, for routes that read more than `Prefer`.
    var headers = HTTPFields()

    var metadataBase: String { "\(linkBase)/\(version.rawValue)/$metadata" }

    /// The link for this path with a new query string.
    func link(query: String) -> String {
        query.isEmpty ? linkBase + rawPath : "\(linkBase)\(rawPath)?\(query)"
    }

    /// Splits a raw path into decoded segments, expanding `name('key')` into `name`, `key`.
    static func segments(of rawPath: String) throws(GraphError) -> [String] {
        var result: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let segment = String(raw).removingPercentEncoding else { throw .malformedID }
            if let open = segment.firstIndex(of: "("), segment.hasSuffix(")") {
                let name = String(segment[..<open])
                var key = String(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)])
                if key.hasPrefix("'"), key.hasSuffix("'"), key.count >= 2 {
                    key = String(key.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
                }
                result.append(name)
                if !key.isEmpty { result.append(key) }
            } else {
                result.append(segment)
            }
        }
        return result
    }
}
