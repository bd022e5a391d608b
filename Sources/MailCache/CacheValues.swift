import Foundation
import GRDB
import MailCore

extension MessageQuery {
    /// The condition on `message` that selects the list's rows, for every list query (window,
    /// count, keyset and offset look-ups).
    ///
    /// A folder's search is answered from the folder's index in date order, checking each row
    /// against the full-text matches; a search of the whole mailbox starts from the matches.
    var whereClause: (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let folderID {
            clauses.append("folderKey = \(Schema.folderKey)")
            arguments += [folderID.rawValue]
        } else {
            // Every folder, but not the rows a delta round set aside (see `purgeOrphans`).
            clauses.append("folderKey <> \(Schema.orphanFolderKey)")
        }
        if let tab {
            clauses.append("classification = ?")
            arguments += [tab.rawValue]
        }
        if let (filter, filterArguments) = search?.sqlFilter {
            clauses.append(filter)
            arguments += filterArguments
        }
        return (clauses.joined(separator: " AND "), arguments)
    }
}

/// How far a delta round got: the link to call next, and whether it is a deltaLink (round done)
/// or a nextLink (round in progress; a restart continues from it).
public struct SyncCursor: Hashable, Sendable {
    public var link: String
    public var roundComplete: Bool

    public init(link: String, roundComplete: Bool) {
        self.link = link
        self.roundComplete = roundComplete
    }

    public static let folderScope = "folders"
    public static func messageScope(_ folder: FolderID) -> String { "messages:" + folder.rawValue }

    func save(_ db: Database, scope: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO syncCursor (scope, link, roundComplete) VALUES (?, ?, ?)",
                       arguments: [scope, link, roundComplete])
    }

    static func load(_ db: Database, scope: String) throws -> SyncCursor? {
        try Row.fetchOne(db, sql: "SELECT link, roundComplete FROM syncCursor WHERE scope = ?", arguments: [scope])
            .map { SyncCursor(link: $0[0], roundComplete: $0[1]) }
    }
}

/// One message from a delta page. Graph sends *at least* the changed properties of an updated
/// message, so every field is optional and only the present ones overwrite the cached row.
public struct EnvelopeChange: Sendable, Hashable {
    public var id: MessageID
    public var conversationID: String?
    public var subject: String?
    public var from: EmailAddress?
    public var receivedAt: Date?
    public var isRead: Bool?
    public var flag: FlagStatus?
    public var hasAttachments: Bool?
    public var importance: Importance?
    public var inferenceClassification: InboxTab?
    public var isMentioned: Bool?
    public var categories: [String]?
    public var bodyPreview: String?

    public init(id: MessageID, conversationID: String? = nil, subject: String? = nil, from: EmailAddress? = nil,
                receivedAt: Date? = nil, isRead: Bool? = nil, flag: FlagStatus? = nil, hasAttachments: Bool? = nil,
                importance: Importance? = nil, inferenceClassification: InboxTab? = nil, isMentioned: Bool? = nil,
                categories: [String]? = nil, bodyPreview: String? = nil) {
        self.id = id
        self.conversationID = conversationID
        self.subject = subject
        self.from = from
        self.receivedAt = receivedAt
        self.isRead = isRead
        self.flag = flag
        self.hasAttachments = hasAttachments
        self.importance = importance
        self.inferenceClassification = inferenceClassification
        self.isMentioned = isMentioned
        self.categories = categories
        self.bodyPreview = bodyPreview
    }

    func apply(to summary: inout MessageSummary) {
        if let conversationID { summary.conversationID = conversationID }
        if let subject { summary.subject = subject }
        if let from { summary.from = from }
        if let receivedAt { summary.receivedAt = receivedAt }
        if let isRead { summary.isRead = isRead }
        if let flag { summary.flag = flag }
        if let hasAttachments { summary.hasAttachments = hasAttachments }
        if let importance { summary.importance = importance }
        if let inferenceClassification { summary.inferenceClassification = inferenceClassification }
        if let isMentioned { summary.isMentioned = isMentioned }
        if let categories { summary.categories = categories }
        if let bodyPreview { summary.bodyPreview = bodyPreview }
    }

    /// A message seen for the first time; absent fields take Graph's defaults.
    func newSummary(folderID: FolderID) -> MessageSummary {
        var summary = MessageSummary(id: id, folderID: folderID, subject: "", from: nil,
                                     receivedAt: Date(timeIntervalSince1970: 0))
        apply(to: &summary)
        return summary
    }
}
