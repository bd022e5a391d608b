import Foundation

/// The signed-in user whose mailbox the emulator serves (`GET /me`).
public struct MailboxOwner: Sendable, Equatable {
    /// A GUID, as in Graph's `users('…')` context URLs.
    public var id: String
    public var displayName: String
    public var givenName: String
    public var surname: String
    /// Both `mail` and `userPrincipalName`.
    public var address: String

    public init(id: String, displayName: String, givenName: String, surname: String, address: String) {
        self.id = id
        self.displayName = displayName
        self.givenName = givenName
        self.surname = surname
        self.address = address
    }
}

/// A mail folder. In `MailboxContent` the counts are zero; snapshots fill them in.
public struct EmulatedFolder: Sendable, Equatable, Identifiable {
    public let id: String
    public var displayName: String
    /// The parent's id; top-level folders point at the root folder (`msgfolderroot`).
    public var parentFolderID: String
    /// Lower-case Graph well-known name (`inbox`, `sentitems`, …), or nil for user folders.
    public var wellKnownName: String?
    public var isHidden: Bool
    /// Slash-separated display names from the top level, e.g. `Inbox/Projects/Atlas`.
    public var path: String
    public internal(set) var childFolderCount: Int = 0
    public internal(set) var unreadItemCount: Int = 0
    public internal(set) var totalItemCount: Int = 0

    public init(
        id: String, displayName: String, parentFolderID: String, wellKnownName: String?, isHidden: Bool,
        path: String
    ) {
        self.id = id
        self.displayName = displayName
        self.parentFolderID = parentFolderID
        self.wellKnownName = wellKnownName
        self.isHidden = isHidden
        self.path = path
    }
}

/// One message of the emulated mailbox, with every property the emulator can serve.
///
/// Generated messages do not store their bodies: `body`, `bodyPreview`, `uniqueBody` and
/// `attachments` are recomputed from a per-message seed whenever they are read, which keeps
/// a 100,000-message mailbox small. Loaded and delivered messages store them.
public struct EmulatedMessage: Sendable, Equatable {
    public struct Recipient: Sendable, Hashable {
        public var name: String
        public var address: String

        public init(name: String, address: String) {
            self.name = name
            self.address = address
        }
    }

    public enum Importance: String, Sendable, CaseIterable {
        case low, normal, high
    }

    public enum Classification: String, Sendable, CaseIterable {
        case focused, other
    }

    public enum FlagStatus: String, Sendable, CaseIterable {
        case notFlagged, flagged, complete
    }

    public struct Flag: Sendable, Equatable {
        public var status: FlagStatus
        var start: Int64?
        var due: Int64?
        var completed: Int64?

        public static let notFlagged = Flag(status: .notFlagged)

        public init(status: FlagStatus, startDateTime: Date? = nil, dueDateTime: Date? = nil, completedDateTime: Date? = nil) {
            self.status = status
            start = startDateTime.map(GraphDate.seconds)
            due = dueDateTime.map(GraphDate.seconds)
            completed = completedDateTime.map(GraphDate.seconds)
        }

        init(status: FlagStatus, start: Int64?, due: Int64?, completed: Int64?) {
            self.status = status
            self.start = start
            self.due = due
            self.completed = completed
        }

        public var startDateTime: Date? { start.map(GraphDate.date) }
        public var dueDateTime: Date? { due.map(GraphDate.date) }
        public var completedDateTime: Date? { completed.map(GraphDate.date) }
    }

    public struct Body: Sendable, Equatable {
        public enum ContentType: String, Sendable, CaseIterable {
            case html, text
        }

        public var contentType: ContentType
        public var content: String

        public init(contentType: ContentType, content: String) {
            self.contentType = contentType
            self.content = content
        }
    }

    /// Attachment metadata. Generated messages derive the list from their seed; loaded
    /// messages keep what `attachments.jsonl` held, including the base64 content.
    public struct Attachment: Sendable, Equatable {
        /// Present for loaded attachments; generated ones get ids when attachments are served.
        public var id: String?
        public var name: String
        public var contentType: String
        public var size: Int
        public var isInline: Bool
        var lastModified: Int64
        /// Base64 content, for loaded attachments only.
        public var contentBytes: String?
        /// A file, an attached message or a link to a cloud file (Attachments.swift).
        public var kind: Kind = .file
        /// Content id for inline attachments (`cid:` references in an HTML body).
        public var contentID: String?
        /// The stable identity behind the served attachment id; 0 derives one from the
        /// attachment's position (AttachmentCatalog).
        var key: UInt64 = 0

        public var lastModifiedDateTime: Date { GraphDate.date(lastModified) }

        public init(
            name: String, contentType: String, size: Int, isInline: Bool = false, lastModifiedDateTime: Date,
            contentBytes: String? = nil, id: String? = nil
        ) {
            self.init(
                id: id, name: name, contentType: contentType, size: size, isInline: isInline,
                lastModified: GraphDate.seconds(lastModifiedDateTime), contentBytes: contentBytes)
        }

        init(id: String?, name: String, contentType: String, size: Int, isInline: Bool, lastModified: Int64, contentBytes: String?) {
            self.id = id
            self.name = name
            self.contentType = contentType
            self.size = size
            self.isInline = isInline
            self.lastModified = lastModified
            self.contentBytes = contentBytes
        }
    }

    /// The regular id; it changes when the message moves to another folder.
    public internal(set) var id: String
    /// The `Prefer: IdType="ImmutableId"` id; never changes within the mailbox.
    public let immutableID: String
    public internal(set) var parentFolderID: String
    public internal(set) var changeKey: String
    public var conversationID: String
    public var conversationIndex: String
    public var internetMessageID: String
    public var subject: String
    public var from: Recipient?
    public var sender: Recipient?
    public var toRecipients: [Recipient]
    public var ccRecipients: [Recipient]
    public var bccRecipients: [Recipient]
    public var replyTo: [Recipient]
    public var isRead: Bool
    public var isDraft: Bool
    public var importance: Importance
    public var inferenceClassification: Classification
    public var flag: Flag
    public var categories: [String]
    public var hasAttachments: Bool
    public var isReadReceiptRequested: Bool
    public var isDeliveryReceiptRequested: Bool?
    /// Whether the body @-mentions the mailbox owner (beta `mentionsPreview.isMentioned`).
    public var mentionsOwner: Bool

    var created: Int64
    var lastModified: Int64
    var received: Int64
    var sent: Int64?
    var content: Content

    public var createdDateTime: Date { GraphDate.date(created) }
    public internal(set) var lastModifiedDateTime: Date {
        get { GraphDate.date(lastModified) }
        set { lastModified = GraphDate.seconds(newValue) }
    }
    public var receivedDateTime: Date { GraphDate.date(received) }
    public var sentDateTime: Date? { sent.map(GraphDate.date) }

    public var body: Body {
        switch content {
        case .generated(let generated): BodyComposer.body(of: self, generated)
        case .stored(let stored): stored.body
        }
    }

    /// The body without the quoted earlier message (`uniqueBody` in Graph).
    public var uniqueBody: Body {
        switch content {
        case .generated(let generated): BodyComposer.uniqueBody(of: self, generated)
        case .stored(let stored): stored.uniqueBody ?? stored.body
        }
    }

    /// The first 255 characters of the text, whitespace collapsed, quote excluded.
    public var bodyPreview: String {
        switch content {
        case .generated(let generated): BodyComposer.preview(of: self, generated)
        case .stored(let stored): stored.preview
        }
    }

    public var attachments: [Attachment] {
        switch content {
        case .generated(let generated): BodyComposer.attachments(of: self, generated)
        case .stored(let stored): stored.attachments
        }
    }

    /// The body's content type, without composing a generated body.
    var bodyContentType: Body.ContentType {
        switch content {
        case .generated(let generated): generated.isHTML ? .html : .text
        case .stored(let stored): stored.body.contentType
        }
    }

    /// Whether the body is stored with the message rather than recomputed from its seed.
    public var hasStoredBody: Bool {
        if case .stored = content { return true }
        return false
    }

    /// Replaces the body (and the attachment list) with stored values.
    public mutating func setBody(_ body: Body, attachments: [Attachment]? = nil) {
        let keptAttachments = attachments ?? self.attachments
        content = .stored(StoredContent(body: body, uniqueBody: nil, attachments: keptAttachments))
        hasAttachments = keptAttachments.contains { !$0.isInline }
    }
}

/// Where a message's body comes from.
enum Content: Sendable, Equatable {
    case generated(GeneratedContent)
    case stored(StoredContent)
}

struct StoredContent: Sendable, Equatable {
    var body: EmulatedMessage.Body
    var uniqueBody: EmulatedMessage.Body?
    var preview: String
    var attachments: [EmulatedMessage.Attachment]

    init(body: EmulatedMessage.Body, uniqueBody: EmulatedMessage.Body?, attachments: [EmulatedMessage.Attachment], preview: String? = nil) {
        self.body = body
        self.uniqueBody = uniqueBody
        self.attachments = attachments
        self.preview = preview ?? BodyComposer.preview(fromBody: uniqueBody ?? body)
    }
}

/// Everything a mailbox starts from: the output of `MailboxGenerator` or `MailboxLoader`.
public struct MailboxContent: Sendable, Equatable {
    public var owner: MailboxOwner
    /// The hidden root (`msgfolderroot`, "Top of Information Store"); its children are the
    /// top-level folders.
    public var rootFolderID: String
    /// Every folder except the root, parents before children.
    public var folders: [EmulatedFolder]
    public var messages: [EmulatedMessage]
    /// The latest instant in the mailbox. Changes made later through the mailbox API are
    /// stamped after it (the emulator keeps a logical clock so that output stays deterministic).
    public var referenceDate: Date
    /// Seeds the ids minted for messages delivered or moved later.
    public var idSeed: UInt64

    public init(
        owner: MailboxOwner, rootFolderID: String, folders: [EmulatedFolder], messages: [EmulatedMessage],
        referenceDate: Date, idSeed: UInt64
    ) {
        self.owner = owner
        self.rootFolderID = rootFolderID
        self.folders = folders
        self.messages = messages
        self.referenceDate = referenceDate
        self.idSeed = idSeed
    }
}
