import Foundation

/// A message's identity in the cache: Graph's *immutable* ID (we always send
/// `Prefer: IdType="ImmutableId"`). IDs are case-sensitive opaque strings.
public struct MessageID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A folder's Graph ID. Folder IDs are stable across moves (containers need no immutable IDs).
public struct FolderID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

public struct EmailAddress: Hashable, Sendable, Codable {
    public var name: String
    public var address: String
    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }

    /// What a list column shows: the name, or the address when there is no name.
    public var displayName: String { name.isEmpty ? address : name }
}

public enum Importance: String, Sendable, Codable, CaseIterable {
    case low, normal, high
}

public enum FlagStatus: String, Sendable, Codable, CaseIterable {
    case notFlagged, flagged, complete
}

/// Focused Inbox classification (`inferenceClassification`).
public enum InboxTab: String, Sendable, Codable, CaseIterable {
    case focused, other

    public var title: String { self == .focused ? "Focused" : "Other" }
    public var toggled: InboxTab { self == .focused ? .other : .focused }
}

/// Graph's well-known folder names that Otter gives special treatment (order, icons).
public enum WellKnownFolder: String, Sendable, Codable, CaseIterable {
    case inbox, drafts, sentitems, deleteditems, junkemail, archive, outbox

    /// Well-known folders come first in the tree, in the order Outlook shows them.
    public var sortRank: Int { Self.allCases.firstIndex(of: self)! }

    /// Graph does not return `wellKnownName` in v1.0, so the sync recognises the folders by
    /// asking for each well-known name once and remembering the ID it maps to.
    public static let displayOrder: [WellKnownFolder] = allCases
}

public struct Folder: Hashable, Sendable, Identifiable {
    public var id: FolderID
    public var parentID: FolderID?
    public var displayName: String
    public var wellKnown: WellKnownFolder?
    public var unreadCount: Int
    public var totalCount: Int
    public var childFolderCount: Int
    public var isHidden: Bool

    public init(id: FolderID, parentID: FolderID?, displayName: String, wellKnown: WellKnownFolder? = nil,
                unreadCount: Int = 0, totalCount: Int = 0, childFolderCount: Int = 0, isHidden: Bool = false) {
        self.id = id
        self.parentID = parentID
        self.displayName = displayName
        self.wellKnown = wellKnown
        self.unreadCount = unreadCount
        self.totalCount = totalCount
        self.childFolderCount = childFolderCount
        self.isHidden = isHidden
    }
}

/// A message envelope: what the list shows. Bodies live apart (`MessageContent`).
public struct MessageSummary: Hashable, Sendable, Identifiable {
    public var id: MessageID
    public var folderID: FolderID
    public var conversationID: String?
    public var subject: String
    public var from: EmailAddress?
    public var receivedAt: Date
    public var isRead: Bool
    public var flag: FlagStatus
    public var hasAttachments: Bool
    public var importance: Importance
    public var inferenceClassification: InboxTab
    public var isMentioned: Bool
    public var categories: [String]
    public var bodyPreview: String

    public init(id: MessageID, folderID: FolderID, conversationID: String? = nil, subject: String,
                from: EmailAddress?, receivedAt: Date, isRead: Bool = false, flag: FlagStatus = .notFlagged,
                hasAttachments: Bool = false, importance: Importance = .normal,
                inferenceClassification: InboxTab = .focused, isMentioned: Bool = false,
                categories: [String] = [], bodyPreview: String = "") {
        self.id = id
        self.folderID = folderID
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
}

/// The parts of a message the reader needs beyond the envelope, fetched on demand.
public struct MessageContent: Hashable, Sendable {
    public enum Format: String, Sendable, Codable { case text, html }

    public var messageID: MessageID
    public var format: Format
    public var body: String
    public var toRecipients: [EmailAddress]
    public var ccRecipients: [EmailAddress]
    /// What is attached, without the bytes; nil when not fetched yet (a body cached before
    /// attachments were fetched with it).
    public var attachments: [AttachmentInfo]?

    public init(messageID: MessageID, format: Format, body: String,
                toRecipients: [EmailAddress] = [], ccRecipients: [EmailAddress] = [], attachments: [AttachmentInfo]? = []) {
        self.messageID = messageID
        self.format = format
        self.body = body
        self.toRecipients = toRecipients
        self.ccRecipients = ccRecipients
        self.attachments = attachments
    }

    /// The body as readable text, whatever format the server sent.
    public var plainText: String {
        format == .html ? HTMLText.plainText(fromHTML: body) : body
    }
}

/// One attachment of a message, as listed with its body: enough to show and choose it, never
/// its content (which is fetched only when the user saves or opens it).
public struct AttachmentInfo: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A file (`fileAttachment`).
        case file
        /// A message, event or contact attached as an item (`itemAttachment`).
        case item
        /// A link to a file in OneDrive or SharePoint (`referenceAttachment`).
        case reference
    }

    /// Graph's attachment id (it extends the message's id).
    public var id: String
    public var name: String
    public var contentType: String?
    /// Bytes, as Graph reports them (roughly the encoded size).
    public var size: Int
    /// Shown inside the body (an embedded image) rather than as an attachment.
    public var isInline: Bool
    public var kind: Kind

    public init(id: String, name: String, contentType: String?, size: Int, isInline: Bool, kind: Kind) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.size = size
        self.isInline = isInline
        self.kind = kind
    }
}

/// How far a sync round is, for `otter sync`'s progress bar.
public struct SyncProgress: Hashable, Sendable {
    public var foldersDone: Int
    public var foldersTotal: Int
    /// Envelopes received in this round so far, and the folders' own total (an estimate for ETA).
    public var messages: Int
    public var expectedMessages: Int
    public var bytes: Int
    public var requests: Int

    public init(foldersDone: Int = 0, foldersTotal: Int = 0, messages: Int = 0, expectedMessages: Int = 0,
                bytes: Int = 0, requests: Int = 0) {
        self.foldersDone = foldersDone
        self.foldersTotal = foldersTotal
        self.messages = messages
        self.expectedMessages = expectedMessages
        self.bytes = bytes
        self.requests = requests
    }
}

/// What the sync engine is doing, for the status line.
public enum SyncActivity: Hashable, Sendable {
    case idle(lastSync: Date?)
    case syncingFolders
    case syncingMessages(folder: String, messages: Int)
    /// Translating a cache's regular message ids to immutable ids, before the first sync.
    case updatingMessageIDs(done: Int, total: Int)
    /// Waiting before trying again: throttled by the server (429) or the server was unavailable.
    case retrying(throttled: Bool, seconds: Int)
    /// The server cannot be reached; this many actions wait in the outbox.
    case offline(pending: Int)
    /// The cache cannot be written (its disk is full, or it is read-only): what is cached can
    /// still be read and actions are still sent, but new mail is not saved. This many actions
    /// wait in the outbox.
    case cacheUnwritable(CacheProblem, pending: Int)
    case failed(message: String)

    public var isBusy: Bool {
        switch self {
        case .syncingFolders, .syncingMessages, .updatingMessageIDs, .retrying: true
        case .idle, .failed, .offline, .cacheUnwritable: false
        }
    }
}

/// Why the cache cannot take writes, for the status line.
public enum CacheProblem: Hashable, Sendable {
    /// No space is left on the disk (or quota) holding it.
    case diskFull
    /// Its file, folder or file system is read-only.
    case readOnly
}

/// Which messages a list shows: a folder, and for the Inbox one Focused/Other tab; with a
/// search, the messages of that scope that match it. Search results are a list like any other
/// (newest first, keyset-paged, observed).
public struct MessageQuery: Hashable, Sendable {
    /// The folder listed; nil for the whole mailbox (every folder), the usual scope of a search.
    public var folderID: FolderID?
    public var tab: InboxTab?
    public var search: MessageSearch?

    public init(folderID: FolderID?, tab: InboxTab? = nil, search: MessageSearch? = nil) {
        self.folderID = folderID
        self.tab = tab
        self.search = search
    }
}

/// A message's position in list order (newest first, ties broken by ID so the order is total).
public struct MessageSortKey: Hashable, Sendable {
    public var receivedAt: Double
    public var id: MessageID

    public init(receivedAt: Double, id: MessageID) {
        self.receivedAt = receivedAt
        self.id = id
    }

    public init(_ summary: MessageSummary) {
        self.init(receivedAt: summary.receivedAt.timeIntervalSince1970, id: summary.id)
    }
}

/// A slice of a list: `rows` start at absolute position `startIndex` of `total`.
public struct MessageWindow: Hashable, Sendable {
    public var rows: [MessageSummary]
    public var startIndex: Int
    public var total: Int

    public init(rows: [MessageSummary], startIndex: Int, total: Int) {
        self.rows = rows
        self.startIndex = startIndex
        self.total = total
    }
}

