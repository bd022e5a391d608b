import Foundation
import MailCore

/// `exchangeIdFormat` of `translateExchangeIds` (GRAPH.md §4).
public enum ExchangeIDFormat: String, Sendable, CaseIterable {
    case entryId, ewsId, immutableEntryId, restId, restImmutableEntryId
}

/// One `convertIdResult`: the id asked about and its translation, or why there is none.
public struct TranslatedID: Sendable, Hashable {
    public var sourceID: String
    /// nil when the server could not translate the id (`errorDetails`).
    public var targetID: String?
    /// `errorDetails.code`, e.g. `ErrorItemNotFound` for an item deleted or moved (a regular
    /// id names an item in one folder only).
    public var errorCode: String?

    public init(sourceID: String, targetID: String?, errorCode: String? = nil) {
        self.sourceID = sourceID
        self.targetID = targetID
        self.errorCode = errorCode
    }
}

extension GraphClient {
    /// "Maximum size of this collection is 1000 strings" (inputIds, GRAPH.md §4).
    public static let maxIDsPerTranslation = 1000

    /// `POST /me/translateExchangeIds`: translates ids of items in this mailbox from one format to
    /// another, one request per 1,000 ids. Returns one result per distinct input id, keyed by it.
    /// An id the server cannot translate has no `targetID`; the request as a whole still succeeds.
    /// An answer that leaves an id out is a broken answer and throws, so a caller never takes a
    /// missing result for "this item is gone".
    public func translateExchangeIDs(_ ids: [String], from source: ExchangeIDFormat = .restId,
                                     to target: ExchangeIDFormat = .restImmutableEntryId) async throws -> [String: TranslatedID] {
        var unique: [String] = []
        var seen = Set<String>()
        for id in ids where seen.insert(id).inserted { unique.append(id) }
        var results: [String: TranslatedID] = [:]
        for slice in unique.chunked(Self.maxIDsPerTranslation) {
            let chunk = Array(slice)
            let body = try JSONSerialization.data(
                withJSONObject: ["inputIds": chunk, "sourceIdType": source.rawValue, "targetIdType": target.rawValue],
                options: [.sortedKeys])
            // Translating only reads the mailbox, so a dropped connection or a truncated answer
            // is simply asked again, as a GET would be.
            let page = try await perform(method: .POST, url: makeURL(path: "\(configuration.mailboxPath)/translateExchangeIds", query: []),
                                         preferences: [], body: body, idempotent: true) {
                try self.decode(GraphPage<ConvertIDResult>.self, from: $0)
            }
            for result in page.value {
                guard let sourceID = result.sourceId, seen.contains(sourceID) else { continue }
                results[sourceID] = TranslatedID(sourceID: sourceID, targetID: result.targetId.flatMap { $0.isEmpty ? nil : $0 },
                                                 errorCode: result.errorDetails?.code)
            }
            let answered = chunk.filter { results[$0] != nil }.count
            guard answered == chunk.count else {
                throw GraphError.invalidResponse(status: 200,
                                                 reason: "translateExchangeIds answered \(answered) of \(chunk.count) ids")
            }
        }
        return results
    }
}

/// `convertIdResult` as sent: `sourceId`, and `targetId` or `errorDetails` (a `genericError`).
struct ConvertIDResult: Decodable, Sendable {
    struct Details: Decodable, Sendable {
        var code: String?
        var message: String?
    }
    var sourceId: String?
    var targetId: String?
    var errorDetails: Details?
}
