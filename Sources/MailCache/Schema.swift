import Foundation
import GRDB
import MailCore

/// The cache schema and its migrations. The cache is rebuildable from the server, but a
/// migration keeps a user's synced mailbox across upgrades instead of refetching 100,000 messages.
enum Schema {
    /// The folder key of a message reported removed whose fate is not known yet (see
    /// `purgeOrphans`). No folder has key 0, so no list shows these rows.
    static let orphanFolderKey = 0

    /// Messages refer to their folder by the folder's integer key, not its 120-character Graph
    /// id: the id would be stored three times a message (table and both list indexes).
    static let folderKey = "(SELECT key FROM folder WHERE id = ?)"

    /// Every message column, plus the folder's Graph id as `folderId`.
    static let messageColumns = "message.*, (SELECT folder.id FROM folder WHERE folder.key = message.folderKey) AS folderId"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE folder (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    parentId TEXT,
                    displayName TEXT NOT NULL,
                    wellKnown TEXT,
                    unreadCount INTEGER NOT NULL DEFAULT 0,
                    totalCount INTEGER NOT NULL DEFAULT 0,
                    childFolderCount INTEGER NOT NULL DEFAULT 0,
                    isHidden INTEGER NOT NULL DEFAULT 0
                );
                -- A rowid table, not WITHOUT ROWID (which would save SQLite's index of the id): SQLite
                -- reports no changes of WITHOUT ROWID tables to the update hook GRDB observes with.
                CREATE TABLE message (
                    id TEXT PRIMARY KEY NOT NULL,
                    folderKey INTEGER NOT NULL,
                    conversationId TEXT,
                    subject TEXT NOT NULL,
                    fromName TEXT,
                    fromAddress TEXT,
                    receivedAt DOUBLE NOT NULL,
                    isRead INTEGER NOT NULL,
                    flag TEXT NOT NULL,
                    hasAttachments INTEGER NOT NULL,
                    importance TEXT NOT NULL,
                    classification TEXT NOT NULL,
                    isMentioned INTEGER NOT NULL,
                    categories TEXT,
                    bodyPreview TEXT NOT NULL
                );
                -- The list window: folder, Focused/Other tab, newest first (replaced in v2).
                CREATE INDEX message_by_tab ON message(folderKey, classification, receivedAt, id);
                CREATE INDEX message_by_folder ON message(folderKey, receivedAt, id);
                CREATE TABLE messageContent (
                    messageId TEXT PRIMARY KEY NOT NULL REFERENCES message(id) ON DELETE CASCADE,
                    format TEXT NOT NULL,
                    body TEXT NOT NULL,
                    toRecipients TEXT NOT NULL,
                    ccRecipients TEXT NOT NULL,
                    fetchedAt DOUBLE NOT NULL
                );
                CREATE TABLE syncCursor (
                    scope TEXT PRIMARY KEY NOT NULL,
                    link TEXT NOT NULL,
                    roundComplete INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2-lean-list-indexes") { db in
            // The list indexes no longer end in the 152-character message id (stored twice a row
            // for a tie-break between messages received in the same second): SQLite sorts such
            // runs from the table row, and the indexes shrink to a few bytes an entry.
            try db.execute(sql: """
                DROP INDEX message_by_tab;
                DROP INDEX message_by_folder;
                CREATE INDEX message_by_tab ON message(folderKey, classification, receivedAt);
                CREATE INDEX message_by_folder ON message(folderKey, receivedAt);
                """)
        }
        migrator.registerMigration("v3-attachment-lists") { db in
            // A message's attachments (names, types, sizes; never content) as JSON beside its body,
            // fetched with it. NULL for bodies cached before: their list is fetched on next view.
            try db.execute(sql: "ALTER TABLE messageContent ADD COLUMN attachments TEXT")
        }
        registerMeta(&migrator)
        registerSearch(&migrator)
        return migrator
    }

    static let upsertMessageSQL = """
        INSERT INTO message (id, folderKey, conversationId, subject, fromName, fromAddress, receivedAt, isRead, flag,
                             hasAttachments, importance, classification, isMentioned, categories, bodyPreview)
        VALUES (?, COALESCE((SELECT key FROM folder WHERE id = ?), 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            folderKey = excluded.folderKey, conversationId = excluded.conversationId, subject = excluded.subject,
            fromName = excluded.fromName, fromAddress = excluded.fromAddress, receivedAt = excluded.receivedAt,
            isRead = excluded.isRead, flag = excluded.flag, hasAttachments = excluded.hasAttachments,
            importance = excluded.importance, classification = excluded.classification,
            isMentioned = excluded.isMentioned, categories = excluded.categories, bodyPreview = excluded.bodyPreview
        """
}

struct FolderRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "folder"
    var id: String
    var parentId: String?
    var displayName: String
    var wellKnown: String?
    var unreadCount: Int
    var totalCount: Int
    var childFolderCount: Int
    var isHidden: Bool

    init(_ folder: Folder) {
        id = folder.id.rawValue
        parentId = folder.parentID?.rawValue
        displayName = folder.displayName
        wellKnown = folder.wellKnown?.rawValue
        unreadCount = folder.unreadCount
        totalCount = folder.totalCount
        childFolderCount = folder.childFolderCount
        isHidden = folder.isHidden
    }

    /// Keeps the well-known mapping the sync recorded: a folder delta page does not carry it.
    func upsert(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO folder (id, parentId, displayName, wellKnown, unreadCount, totalCount, childFolderCount, isHidden)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET parentId = excluded.parentId, displayName = excluded.displayName,
                wellKnown = COALESCE(excluded.wellKnown, folder.wellKnown), unreadCount = excluded.unreadCount,
                totalCount = excluded.totalCount, childFolderCount = excluded.childFolderCount, isHidden = excluded.isHidden
            """, arguments: [id, parentId, displayName, wellKnown, unreadCount, totalCount, childFolderCount, isHidden])
    }

    var folder: Folder {
        Folder(id: FolderID(id), parentID: parentId.map(FolderID.init), displayName: displayName,
               wellKnown: wellKnown.flatMap(WellKnownFolder.init(rawValue:)), unreadCount: unreadCount,
               totalCount: totalCount, childFolderCount: childFolderCount, isHidden: isHidden)
    }
}

struct MessageRecord: FetchableRecord {
    var summary: MessageSummary

    /// One message by id (rows selected with `Schema.messageColumns`).
    static func fetchOne(_ db: Database, id: MessageID) throws -> MessageRecord? {
        try fetchOne(db, sql: "SELECT \(Schema.messageColumns) FROM message WHERE id = ?", arguments: [id.rawValue])
    }

    static func exists(_ db: Database, id: MessageID) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM message WHERE id = ?)", arguments: [id.rawValue]) ?? false
    }

    init(row: Row) throws {
        let fromAddress: String? = row["fromAddress"]
        let fromName: String? = row["fromName"]
        let categories: String? = row["categories"]
        summary = MessageSummary(
            id: MessageID(row["id"]),
            folderID: FolderID((row["folderId"] as String?) ?? ""),
            conversationID: row["conversationId"],
            subject: row["subject"],
            from: (fromAddress != nil || fromName != nil) ? EmailAddress(name: fromName ?? "", address: fromAddress ?? "") : nil,
            receivedAt: Date(timeIntervalSince1970: row["receivedAt"]),
            isRead: row["isRead"],
            flag: FlagStatus(rawValue: row["flag"]) ?? .notFlagged,
            hasAttachments: row["hasAttachments"],
            importance: Importance(rawValue: row["importance"]) ?? .normal,
            inferenceClassification: InboxTab(rawValue: row["classification"]) ?? .focused,
            isMentioned: row["isMentioned"],
            categories: categories.map { $0.split(separator: "\u{1F}").map(String.init) } ?? [],
            bodyPreview: row["bodyPreview"])
    }

    static func arguments(_ m: MessageSummary) -> StatementArguments {
        // Categories are joined with the ASCII unit separator: compact, and never part of a category name
        // once sanitised.
        [m.id.rawValue, m.folderID.rawValue, m.conversationID, m.subject, m.from?.name, m.from?.address,
         m.receivedAt.timeIntervalSince1970, m.isRead, m.flag.rawValue, m.hasAttachments, m.importance.rawValue,
         m.inferenceClassification.rawValue, m.isMentioned,
         m.categories.isEmpty ? nil : m.categories.joined(separator: "\u{1F}"), m.bodyPreview]
    }
}

struct ContentRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "messageContent"
    var messageId: String
    var format: String
    var body: String
    var toRecipients: String
    var ccRecipients: String
    var attachments: String?
    var fetchedAt: Double

    init(_ content: MessageContent) {
        messageId = content.messageID.rawValue
        format = content.format.rawValue
        body = content.body
        toRecipients = Self.encode(content.toRecipients)
        ccRecipients = Self.encode(content.ccRecipients)
        attachments = content.attachments.map(Self.encode)
        fetchedAt = Date().timeIntervalSince1970
    }

    var content: MessageContent {
        MessageContent(messageID: MessageID(messageId), format: MessageContent.Format(rawValue: format) ?? .text,
                       body: body, toRecipients: Self.decode(toRecipients) ?? [], ccRecipients: Self.decode(ccRecipients) ?? [],
                       attachments: attachments.flatMap(Self.decode))
    }

    static func encode<T: Encodable>(_ list: [T]) -> String {
        (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
    }

    /// nil for text that is not such a list (then the list is fetched again rather than shown empty).
    static func decode<T: Decodable>(_ text: String) -> [T]? {
        try? JSONDecoder().decode([T].self, from: Data(text.utf8))
    }
}
