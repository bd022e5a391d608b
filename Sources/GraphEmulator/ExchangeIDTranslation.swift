import Foundation
import Hummingbird

/// `exchangeIdFormat` of `POST /me/translateExchangeIds` and the emulator's encodings.
///
/// The emulator's REST ids are base64 in the URL-safe alphabet with `=` padding. From them:
/// - `restId`: the regular id as served (it changes when the item moves).
/// - `restImmutableEntryId`: the `Prefer: IdType="ImmutableId"` id. Folders have no separate
///   immutable id (GRAPH.md §4: folders don't need it), so theirs is the folder id.
/// - `ewsId`: the REST id in the standard base64 alphabet (`-` → `/`, `_` → `+`), which is
///   how EWS ids relate to REST ids.
/// - `entryId` / `immutableEntryId`: the "binary" formats. Their bytes are four zero flag bytes
///   (PR_ENTRYID starts with them) followed by the bytes the REST / immutable id encodes,
///   written in Graph's URL-safe form: `+` → `-`, `/` → `_`, padding removed and its count
///   (0, 1 or 2) appended as a digit (GRAPH.md §4).
/// Every format decodes back to the item, so any pair of formats round-trips.
enum ExchangeIDFormat: String, Sendable, CaseIterable {
    case entryId, ewsId, immutableEntryId, restId, restImmutableEntryId

    init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    var isImmutable: Bool { self == .immutableEntryId || self == .restImmutableEntryId }

    /// The REST form of `id` given in this format, or nil when it cannot be decoded.
    func restForm(of id: String) -> String? {
        switch self {
        case .restId, .restImmutableEntryId:
            return id
        case .ewsId:
            return Self.swapAlphabet(id, toURLSafe: true)
        case .entryId, .immutableEntryId:
            guard let bytes = Self.decodeBinary(id), bytes.count > 4, bytes.prefix(4).allSatisfy({ $0 == 0 }) else { return nil }
            return Self.swapAlphabet(GraphID.base64(Array(bytes.dropFirst(4))), toURLSafe: true)
        }
    }

    /// `restID` (a REST id of the matching kind) written in this format.
    func encode(restID: String) -> String? {
        switch self {
        case .restId, .restImmutableEntryId:
            return restID
        case .ewsId:
            return Self.swapAlphabet(restID, toURLSafe: false)
        case .entryId, .immutableEntryId:
            guard let data = Data(base64Encoded: Self.swapAlphabet(restID, toURLSafe: false)) else { return nil }
            return Self.encodeBinary([0, 0, 0, 0] + Array(data))
        }
    }

    private static func swapAlphabet(_ text: String, toURLSafe: Bool) -> String {
        String(text.map { character -> Character in
            switch (character, toURLSafe) {
            case ("/", true): "-"
            case ("+", true): "_"
            case ("-", false): "/"
            case ("_", false): "+"
            default: character
            }
        })
    }

    /// Graph's URL-safe base64 of binary ids: padding replaced by a digit counting it.
    static func encodeBinary(_ bytes: [UInt8]) -> String {
        var text = GraphID.base64(bytes)
        var padding = 0
        while text.hasSuffix("=") {
            text.removeLast()
            padding += 1
        }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }) + String(padding)
    }

    static func decodeBinary(_ text: String) -> [UInt8]? {
        guard let last = text.last, let padding = last.wholeNumberValue, (0...2).contains(padding) else { return nil }
        let encoded = text.dropLast()
        // The URL-safe form has neither padding nor the standard alphabet's `+` and `/`.
        guard !encoded.contains(where: { $0 == "=" || $0 == "+" || $0 == "/" }) else { return nil }
        let standard = String(encoded.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        return Data(base64Encoded: standard + String(repeating: "=", count: padding)).map(Array.init)
    }
}

/// One `convertIdResult`.
struct ConvertedID: Sendable, Equatable {
    var sourceID: String
    var targetID: String?
    var errorCode: String?
    var errorMessage: String?
}

extension Mailbox {
    /// Translates ids of messages and folders of this mailbox. Unknown or undecodable ids get
    /// `errorDetails` instead of a target (the request as a whole still succeeds).
    func translateIDs(_ ids: [String], from source: ExchangeIDFormat, to target: ExchangeIDFormat) -> [ConvertedID] {
        ids.map { id in
            func failure(_ code: String, _ message: String) -> ConvertedID {
                ConvertedID(sourceID: id, targetID: nil, errorCode: code, errorMessage: message)
            }
            guard let rest = source.restForm(of: id) else {
                return failure("ErrorInvalidIdMalformed", "Id is malformed.")
            }
            let targetREST: String
            if let slot = slotByID[rest], let message = records[slot]?.message,
               rest == (source.isImmutable ? message.immutableID : message.id) {
                targetREST = target.isImmutable ? message.immutableID : message.id
            } else if rest != rootFolderID, folders[rest] != nil {
                targetREST = rest
            } else if GraphID.isPlausible(rest) {
                return failure("ErrorItemNotFound", "The specified object was not found in the store.")
            } else {
                return failure("ErrorInvalidIdMalformed", "Id is malformed.")
            }
            guard let translated = target.encode(restID: targetREST) else {
                return failure("ErrorInvalidIdMalformed", "The id cannot be written in the \(target.rawValue) format.")
            }
            return ConvertedID(sourceID: id, targetID: translated, errorCode: nil, errorMessage: nil)
        }
    }
}

extension GraphHandlers {
    /// `POST /me/translateExchangeIds` → 200 with one `convertIdResult` per input id.
    func translateExchangeIDs() async throws -> Response {
        try require(.post)
        try validate(allowed: [])
        guard let body = try jsonBody() else { throw GraphError.badRequest("The inputIds parameter is required.") }
        guard let inputs = try body.strings("inputIds") else {
            throw GraphError.badRequest("The inputIds parameter is required.", code: "ErrorInvalidRequest")
        }
        // "Maximum size of this collection is 1000 strings."
        guard inputs.count <= 1000 else {
            throw GraphError.badRequest("The inputIds collection has \(inputs.count) ids; at most 1000 are allowed.", code: "ErrorInvalidRequest")
        }
        func format(_ name: String) throws(GraphError) -> ExchangeIDFormat {
            guard let text = try body.string(name) else {
                throw GraphError.badRequest("The \(name) parameter is required.", code: "ErrorInvalidRequest")
            }
            guard let format = ExchangeIDFormat(name: text) else {
                let names = ExchangeIDFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw GraphError.badRequest("'\(text)' is not a valid \(name); expected one of \(names).", code: "ErrorInvalidRequest")
            }
            return format
        }
        let source = try format("sourceIdType")
        let target = try format("targetIdType")
        let results = await mailbox.translateIDs(inputs, from: source, to: target)

        var json = JSONWriter(capacity: 256 + results.count * 400)
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#Collection(microsoft.graph.convertIdResult)")
        json.key("value")
        json.beginArray()
        for result in results {
            json.beginObject()
            json.field("sourceId", result.sourceID)
            if let target = result.targetID {
                json.field("targetId", target)
            } else {
                json.key("errorDetails")
                json.beginObject()
                json.field("code", result.errorCode ?? "ErrorInvalidIdMalformed")
                json.field("message", result.errorMessage ?? "Id is malformed.")
                json.endObject()
            }
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return respond(json)
    }
}
