import Foundation
import GRDB
import MailCore

/// Which kind of Graph message ids a cache holds. Regular ids change when a message moves;
/// immutable ids (`Prefer: IdType="ImmutableId"`) do not (GRAPH.md §4). Folder ids are the same
/// under both ("container types … do not support immutable ID, but their regular IDs were
/// already constant"), so only message ids ever need translating.
public enum MessageIDKind: String, Sendable {
    case immutable, regular

    /// Where the cache's `meta` table records it.
    public static let metaKey = "messageIdKind"
}

/// What one rewrite of message ids did.
public struct MessageIDRewrite: Hashable, Sendable {
    public var renamed = 0
    /// Rows the server could not translate (deleted or moved meanwhile), removed from the cache only.
    public var dropped = 0
    /// Folders whose message delta starts over, because one message was cached under both ids.
    public var foldersRestarted = 0

    public init(renamed: Int = 0, dropped: Int = 0, foldersRestarted: Int = 0) {
        self.renamed = renamed
        self.dropped = dropped
        self.foldersRestarted = foldersRestarted
    }
}

extension Schema {
    /// The rowid of the last message row whose id a running migration has settled.
    static let idMigrationProgressKey = "messageIdMigration.throughRow"

    /// Tables that refer to a message by its Graph id without a foreign key to `message(id)`
    /// (a full-text index, say). Tables with such a foreign key are found by themselves (see
    /// `messageIDReferences`), so a new table keyed by message id needs nothing here if it
    /// declares its reference, as it should.
    static let messageIDColumnsWithoutForeignKey: [(table: String, column: String)] = []

    /// Columns holding values derived from the message id that must be fetched again under the
    /// new id; NULL means "not fetched yet". Graph's attachment ids extend the message id
    /// (GRAPH.md §4), so a list fetched under a regular id holds ids of the regular form.
    static let messageIDDerivedColumns: [(table: String, column: String)] = [("messageContent", "attachments")]

    /// A small key/value table for facts about the cache as a whole.
    static func registerMeta(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-meta") { db in
            // No `messageIdKind` is written here, on purpose. A cache that predates this table
            // has no record of the header its ids were fetched with. Otter's earlier builds did
            // send it, but a cache from a build or a proxy that did not would hold regular ids,
            // and taking those for immutable ids fails silently and for good: a moved message
            // would be cached twice and a pending action on it would be refused. Taking immutable
            // ids for regular ones costs only requests: the migration finds the server does not
            // know them as regular ids, checks them as immutable ids and keeps them (two
            // translate requests per 1,000 messages, once). So an unrecorded cache that holds
            // messages counts as regular until migrated, and an empty one takes the client's kind.
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
        }
    }

    /// Every (table, column) that holds a message's Graph id, besides `message.id` itself.
    static func messageIDReferences(_ db: Database) throws -> [(table: String, column: String)] {
        var found: [(table: String, column: String)] = []
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'message' ORDER BY name
            """)
        for table in tables {
            let keys = try Row.fetchAll(db, sql: "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?)", arguments: [table])
            for key in keys where (key["table"] as String?)?.lowercased() == "message" {
                // A reference without a column names the primary key, which is the id.
                let to: String? = key["to"]
                if to == nil || to?.lowercased() == "id" { found.append((table, key["from"])) }
            }
        }
        for extra in messageIDColumnsWithoutForeignKey where try db.tableExists(extra.table) {
            if try db.columns(in: extra.table).contains(where: { $0.name == extra.column }) { found.append(extra) }
        }
        return found
    }
}

// MARK: Meta

extension MailCache {
    public func metaValue(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Sets a value; nil removes it.
    public func setMetaValue(_ value: String?, forKey key: String) throws {
        try write { db in try Self.setMeta(db, key, value) }
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String?) throws {
        if let value {
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }
}

// MARK: Message ids

extension MailCache {
    /// The kind of ids recorded, or nil when nothing is recorded (a new cache, or one written
    /// before the record existed: see `Schema.registerMeta`).
    public func messageIDKind() throws -> MessageIDKind? {
        try metaValue(MessageIDKind.metaKey).flatMap(MessageIDKind.init(rawValue:))
    }

    /// Whether any message is cached.
    public func holdsMessages() throws -> Bool {
        try writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM message)") ?? false }
    }

    /// Records that ids of `kind` are (or are about to be) written, and forgets any migration
    /// under way. `restartingMessageDelta` clears every folder's message delta cursor, so the next
    /// round lists each folder afresh and prunes rows it does not list: needed when a client of
    /// the other kind takes over a cache, since changes would otherwise arrive under ids the
    /// cache does not know and the same message would be cached twice.
    public func recordMessageIDKind(_ kind: MessageIDKind, restartingMessageDelta: Bool = false) throws {
        try write { db in
            try Self.setMeta(db, MessageIDKind.metaKey, kind.rawValue)
            try Self.setMeta(db, Schema.idMigrationProgressKey, nil)
            if restartingMessageDelta {
                try db.execute(sql: "DELETE FROM syncCursor WHERE scope LIKE ?", arguments: [messageScopePrefix + "%"])
            }
        }
    }

    /// Whether a migration has settled some rows and not finished.
    public func messageIDMigrationInProgress() throws -> Bool {
        try metaValue(Schema.idMigrationProgressKey) != nil
    }

    /// How many rows a migration has settled and how many there are.
    public func messageIDMigrationProgress() throws -> (done: Int, total: Int) {
        try writer.read { db in
            let through = try Self.migratedThroughRow(db)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") ?? 0
            let done = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE rowid <= ?", arguments: [through]) ?? 0
            return (done, total)
        }
    }

    /// The next rows to migrate, after the last settled one, in row order (stable: rewriting
    /// an id keeps the row's rowid). nil when every row is settled.
    public func messageIDsToMigrate(limit: Int) throws -> (ids: [MessageID], throughRow: Int64)? {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT rowid, id FROM message WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                        arguments: [try Self.migratedThroughRow(db), limit])
            guard let last = rows.last else { return nil }
            return (rows.map { MessageID($0[1]) }, last[0])
        }
    }

    /// Which of `ids` are cached.
    public func existingMessageIDs(_ ids: Set<MessageID>) throws -> Set<MessageID> {
        let list = Array(ids)
        return try writer.read { db in
            var found = Set<MessageID>()
            for part in list.chunked(500) {
                let placeholders = Array(repeating: "?", count: part.count).joined(separator: ",")
                let rows = try String.fetchAll(db, sql: "SELECT id FROM message WHERE id IN (\(placeholders))",
                                               arguments: StatementArguments(part.map(\.rawValue)))
                found.formUnion(rows.map(MessageID.init))
            }
            return found
        }
    }

    /// Gives messages their new ids and removes the ones the server no longer has, in one
    /// transaction with the migration's progress (`throughRow`). Everything keyed by the id
    /// moves with its message: the row keeps its rowid, folder and local state, its body and
    /// every table that refers to `message(id)`. Idempotent: a pair whose old id is no longer
    /// cached is skipped, so running a chunk twice (after a crash, or two callers) is harmless.
    ///
    /// When the new id is already cached as well (a cache that two kinds of client wrote), the
    /// renamed row wins, keeps the other's body if it has none, and the folders of both start
    /// their delta over, so whichever copy was stale is refreshed from the server.
    @discardableResult
    public func rewriteMessageIDs(_ renames: [MessageID: MessageID], dropping gone: Set<MessageID>,
                                  throughRow: Int64?) throws -> MessageIDRewrite {
        try write { db in
            // A message and the rows keyed by its id change one statement apart; the foreign
            // keys are checked at commit, when both agree again.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            let references = try Schema.messageIDReferences(db)
            let derived = try Schema.messageIDDerivedColumns.filter { column in
                try db.tableExists(column.table) && db.columns(in: column.table).contains { $0.name == column.column }
            }
            var result = MessageIDRewrite()
            var restart = Set<Int64>()
            let rename = try db.cachedStatement(sql: """
                UPDATE message SET id = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM message WHERE id = ?)
                """)
            let moveReferences = try references.map { reference in
                let reset = derived.filter { $0.table == reference.table }.map { ", \(quoted($0.column)) = NULL" }.joined()
                return try db.cachedStatement(sql: """
                    UPDATE \(quoted(reference.table)) SET \(quoted(reference.column)) = ?\(reset) WHERE \(quoted(reference.column)) = ?
                    """)
            }
            for (old, new) in renames where old != new {
                try rename.execute(arguments: [new.rawValue, old.rawValue, new.rawValue])
                if db.changesCount == 0 {
                    guard try MessageRecord.exists(db, id: old) else { continue }   // settled already
                    restart.formUnion(try Self.folderKeys(db, of: [old, new]))
                    try Self.mergeDuplicate(db, keeping: old, removing: new, references: references)
                    try rename.execute(arguments: [new.rawValue, old.rawValue, new.rawValue])
                }
                for statement in moveReferences { try statement.execute(arguments: [new.rawValue, old.rawValue]) }
                result.renamed += 1
            }
            for id in gone where try MessageRecord.exists(db, id: id) {
                for reference in references {
                    try db.execute(sql: "DELETE FROM \(quoted(reference.table)) WHERE \(quoted(reference.column)) = ?",
                                   arguments: [id.rawValue])
                }
                try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [id.rawValue])
                result.dropped += 1
            }
            for key in restart where key != Int64(Schema.orphanFolderKey) {
                try db.execute(sql: "DELETE FROM syncCursor WHERE scope = ? || (SELECT id FROM folder WHERE key = ?)",
                               arguments: [messageScopePrefix, key])
                result.foldersRestarted += db.changesCount
            }
            if let throughRow, throughRow > (try Self.migratedThroughRow(db)) {
                try Self.setMeta(db, Schema.idMigrationProgressKey, String(throughRow))
            }
            return result
        }
    }

    /// The end of a migration: every id is immutable, and the progress marker goes.
    public func finishMessageIDMigration() throws {
        try recordMessageIDKind(.immutable)
    }

    private static func migratedThroughRow(_ db: Database) throws -> Int64 {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Schema.idMigrationProgressKey])
            .flatMap { Int64($0) } ?? Int64.min
    }

    private static func folderKeys(_ db: Database, of ids: [MessageID]) throws -> Set<Int64> {
        Set(try Int64.fetchAll(db, sql: "SELECT folderKey FROM message WHERE id IN (?, ?)", arguments: [ids[0].rawValue, ids[1].rawValue]))
    }

    /// Removes the row `removing`, first handing its keyed rows (its body…) to `keeping` where
    /// `keeping` has none of its own.
    private static func mergeDuplicate(_ db: Database, keeping: MessageID, removing: MessageID,
                                       references: [(table: String, column: String)]) throws {
        for reference in references {
            let table = quoted(reference.table), column = quoted(reference.column)
            try db.execute(sql: """
                UPDATE \(table) SET \(column) = ?1 WHERE \(column) = ?2 AND NOT EXISTS (SELECT 1 FROM \(table) WHERE \(column) = ?1)
                """, arguments: [keeping.rawValue, removing.rawValue])
            try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [removing.rawValue])
        }
        try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [removing.rawValue])
    }
}

private func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// "messages:", the scope of every folder's message delta cursor up to the folder id.
private let messageScopePrefix = SyncCursor.messageScope(FolderID(""))
