import Foundation
import GRDB
import MailCore
import Synchronization

/// The local, rebuildable copy of a mailbox: folders, message envelopes, bodies and the delta
/// cursors that say how far each folder is synced.
///
/// Everything the screen shows comes from here (ARCHITECTURE.md: network data reaches the
/// screen only through the cache). Writes that belong together — a delta page and its cursor —
/// happen in one transaction, so a crash between pages never records progress that was not made.
public final class MailCache: Sendable {
    let writer: any DatabaseWriter
    /// Held for the cache's lifetime when it was opened exclusively.
    private let lock: CacheLock?
    /// SQLite would not let this process write the file (permissions, a read-only mount): what
    /// is cached can be read, every write fails with `MailCacheError.readOnly`.
    public let isReadOnly: Bool
    /// Why the file uses a rollback journal instead of WAL, when it does (for the log).
    public let walUnavailableReason: String?

    /// What happened when the cache was opened, for the user (shown once in the status line).
    public private(set) var openingNotice: String? {
        get { notice.withLock { $0 } }
        set { notice.withLock { $0 = newValue } }
    }
    private let notice = Mutex<String?>(nil)

    /// Opens (creating if needed) the cache file. WAL lets the UI read while sync writes; where
    /// WAL is unavailable (some network file systems) a rollback journal does instead.
    /// `exclusive` takes the cache's lock first and throws `CacheLock.Held` when another process has it.
    /// A corrupt file is moved aside and a fresh cache created (the cache is rebuildable from the
    /// server); a cache written by a newer Otter is refused with `MailCacheError.newerSchema`.
    /// A file this process may not write opens for reading, with a notice (`isReadOnly`).
    public static func open(at url: URL, exclusive: Bool = false) throws -> MailCache {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let lock = exclusive ? try CacheLock(path: url.path + ".lock") : nil
        if lock != nil { restoreCompanionPermissions(url.path) }
        do {
            return try MailCache(try connect(path: url.path), lock: lock)
        } catch let error as DatabaseError where error.isCorruption {
            let aside = url.path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: url.path + suffix) {
                try FileManager.default.moveItem(atPath: url.path + suffix, toPath: aside + suffix)
            }
            let cache = try MailCache(try connect(path: url.path), lock: lock)
            cache.openingNotice = "the cache was damaged and is being rebuilt from the server (old copy: \(aside))"
            return cache
        }
    }

    /// SQLite creates the -wal and -shm files with the database file's mode, so a session on a
    /// read-only file leaves read-only companions behind, and they would keep the cache read-only
    /// after the file itself is made writable again. With the lock held nobody else uses them:
    /// they get the file's permissions back.
    private static func restoreCompanionPermissions(_ path: String) {
        let files = FileManager.default
        guard files.isWritableFile(atPath: path),
              let mode = try? files.attributesOfItem(atPath: path)[.posixPermissions] else { return }
        for companion in [path + "-wal", path + "-shm"]
        where files.fileExists(atPath: companion) && !files.isWritableFile(atPath: companion) {
            try? files.setAttributes([.posixPermissions: mode], ofItemAtPath: companion)
        }
    }

    /// An open database file and what opening it found out.
    struct Connection {
        var writer: any DatabaseWriter
        var isReadOnly = false
        /// The disk was full: the cache opened, but nothing can be written until there is room.
        var diskWasFull = false
        var walUnavailableReason: String?
    }

    /// Opens the file at `path` (anything SQLite accepts as a file name) the best way it can:
    /// WAL; on a full disk, WAL without its shared-memory file; where WAL is unavailable, a
    /// rollback journal; and when nothing may write, for reading only. SQLite itself quietly
    /// opens a file it may not write for reading only, hence the probe after each way.
    static func connect(path: String) throws -> Connection {
        var config = Configuration()
        config.prepareDatabase { db in
            // The cache is rebuildable from the server; NORMAL is durable enough with WAL.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let walFailure: DatabaseError
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            return Connection(writer: pool, isReadOnly: try isReadOnly(pool))
        } catch let error as DatabaseError where !error.isCorruption {
            walFailure = error
        }
        if walFailure.isNoSpace {
            // A full disk has no room for the -shm file WAL shares between connections. One
            // connection holding the file exclusively keeps that index in its own memory: it
            // reads what is cached, and writes again as soon as there is room.
            var exclusive = Configuration()
            exclusive.prepareDatabase { db in try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
            return Connection(writer: try DatabaseQueue(path: path, configuration: exclusive), diskWasFull: true)
        }
        do {
            // No WAL here (a VFS or file system without the shared memory it needs, as on many
            // network file systems): one connection with a rollback journal still works, only
            // reads wait for writes.
            var fallback = Configuration()
            fallback.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            let queue = try DatabaseQueue(path: path, configuration: fallback)
            if try isReadOnly(queue) { return Connection(writer: queue, isReadOnly: true) }
            return Connection(writer: queue, walUnavailableReason: walFailure.description)
        } catch let error as DatabaseError where error.meansCannotWrite && FileManager.default.fileExists(atPath: path) {
            // Neither could even start (WAL needs its -wal and -shm files, and switching the
            // journal needs a write): a read-only file or file system. Read what is there.
            // Any other failure is not a reason to go on read-only, and is thrown.
            return Connection(writer: try openForReading(path), isReadOnly: true)
        }
    }

    /// A connection that never writes. A WAL file whose -wal and -shm files are gone (it was
    /// closed cleanly before its file system became read-only) cannot even be read that way;
    /// SQLite reads it when told nothing can change it, which on a read-only file system holds.
    private static func openForReading(_ path: String) throws -> any DatabaseWriter {
        var config = Configuration()
        config.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.read { db in _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
            return queue
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN {
            let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            return try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: config)
        }
    }

    /// Whether SQLite refuses this connection a write transaction (nothing is written).
    private static func isReadOnly(_ writer: any DatabaseWriter) throws -> Bool {
        do {
            try writer.writeWithoutTransaction { db in try db.inTransaction(.immediate) { .rollback } }
            return false
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
            return true
        }
    }

    /// A private in-memory cache, for tests and previews.
    public static func inMemory() throws -> MailCache {
        try MailCache(writer: DatabaseQueue())
    }

    /// Every write goes through here: one transaction, then a crash point (see `CrashPoint`).
    /// A full disk or a read-only file becomes `MailCacheError.diskFull` / `.readOnly`, which the
    /// layers above show without stopping: reading what is cached keeps working.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        let result = try MailCacheError.mappingStorageFailures(in: .cache, path: writer.filePath) {
            try writer.write { db in
                let result = try updates(db)
                try Schema.indexPendingMessages(db)   // the search index, once a transaction (SearchIndex.swift)
                return result
            }
        }
        CrashPoint.hit()
        return result
    }

    convenience init(writer: any DatabaseWriter, lock: CacheLock? = nil) throws {
        try self.init(Connection(writer: writer), lock: lock)
    }

    init(_ connection: Connection, lock: CacheLock? = nil) throws {
        writer = connection.writer
        self.lock = lock
        isReadOnly = connection.isReadOnly
        walUnavailableReason = connection.walUnavailableReason
        let migrator = Schema.migrator
        if try writer.read({ try migrator.hasBeenSuperseded($0) }) {
            throw MailCacheError.newerSchema
        }
        if try !writer.read({ try migrator.hasCompletedMigrations($0) }) {
            // Creating or updating the schema: without it there is nothing to show.
            let path = writer.filePath
            if isReadOnly { throw MailCacheError.cannotPrepare(.readOnly, path: path) }
            do {
                try MailCacheError.mappingStorageFailures(in: .cache, path: path) { try migrator.migrate(writer) }
            } catch let error as MailCacheError {
                throw error.cacheProblem.map { MailCacheError.cannotPrepare($0, path: path) } ?? error
            }
        }
        if isReadOnly {
            openingNotice = MailCacheError.readOnly(.cache, path: writer.filePath).description
        } else if connection.diskWasFull {
            openingNotice = MailCacheError.diskFull(.cache, path: writer.filePath).description
        }
    }

    /// Test support: records a migration this version does not know, as a newer Otter would.
    func recordForeignMigration(_ identifier: String) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [identifier])
        }
    }

    // MARK: Folders

    /// Inserts or updates folders from a folder-delta page and removes the ones Graph reported
    /// removed, together with their messages, in one transaction with the round's cursor.
    public func applyFolderPage(upserts: [Folder], removed: [FolderID], cursor: SyncCursor?) throws {
        try write { db in
            for folder in upserts { try FolderRecord(folder).upsert(db) }
            for id in removed {
                try db.execute(sql: "DELETE FROM message WHERE folderKey = \(Schema.folderKey)", arguments: [id.rawValue])
                try db.execute(sql: "DELETE FROM folder WHERE id = ?", arguments: [id.rawValue])
            }
            if let cursor { try cursor.save(db, scope: SyncCursor.folderScope) }
        }
    }

    /// Records which folder a well-known name resolves to (Graph v1.0 does not say in the folder itself).
    public func setWellKnown(_ wellKnown: WellKnownFolder, folderID: FolderID) throws {
        try write { db in
            try db.execute(sql: "UPDATE folder SET wellKnown = NULL WHERE wellKnown = ?", arguments: [wellKnown.rawValue])
            try db.execute(sql: "UPDATE folder SET wellKnown = ? WHERE id = ?", arguments: [wellKnown.rawValue, folderID.rawValue])
        }
    }

    public func folders() throws -> [Folder] {
        try writer.read { db in try FolderRecord.fetchAll(db).map(\.folder) }
    }

    public func folder(wellKnown: WellKnownFolder) throws -> Folder? {
        try writer.read { db in
            try FolderRecord.fetchOne(db, sql: "SELECT * FROM folder WHERE wellKnown = ?", arguments: [wellKnown.rawValue])?.folder
        }
    }

    /// Every change to the folder table, as a fresh list (the tree is small).
    public func observeFolders() -> AsyncStream<[Folder]> {
        stream(ValueObservation.tracking { db in try FolderRecord.fetchAll(db).map(\.folder) })
    }

    // MARK: Sync cursors

    public func cursor(scope: String) throws -> SyncCursor? {
        try writer.read { db in try SyncCursor.load(db, scope: scope) }
    }

    // MARK: Messages

    /// Applies one page of a folder's message delta together with its cursor. Upserts are
    /// idempotent, so replays and duplicates are harmless; a message that arrives with an ID the
    /// cache already holds in another folder was moved, and keeps its row (and body).
    ///
    /// A removal does not delete at once: Graph reports a message moved out of a folder exactly
    /// like a deleted one, and the destination folder may be synced later in the round. The row
    /// leaves every list (it becomes an orphan) and is deleted by `purgeOrphans()` at the end of
    /// a complete round unless another folder claimed it. Removals apply only to rows still in
    /// this folder, so a move whose destination was synced first is left alone.
    public func applyMessagePage(folderID: FolderID, changes: [EnvelopeChange], removed: [MessageID],
                                 cursor: SyncCursor?) throws {
        try write { db in
            let insert = try db.cachedStatement(sql: Schema.upsertMessageSQL)
            for change in changes {
                if let existing = try MessageRecord.fetchOne(db, id: change.id) {
                    var merged = existing.summary
                    change.apply(to: &merged)
                    merged.folderID = folderID
                    try insert.execute(arguments: MessageRecord.arguments(merged))
                } else {
                    try insert.execute(arguments: MessageRecord.arguments(change.newSummary(folderID: folderID)))
                }
            }
            for id in removed {
                try db.execute(sql: "UPDATE message SET folderKey = ? WHERE id = ? AND folderKey = \(Schema.folderKey)",
                               arguments: [Schema.orphanFolderKey, id.rawValue, folderID.rawValue])
            }
            if let cursor { try cursor.save(db, scope: SyncCursor.messageScope(folderID)) }
        }
    }

    /// Removes one message (the server said it does not exist), with its body.
    public func deleteMessage(_ id: MessageID) throws {
        try write { db in try db.execute(sql: "DELETE FROM message WHERE id = ?", arguments: [id.rawValue]) }
    }

    /// After a full resync of a folder: deletes its rows the server no longer listed, except
    /// `keeping` (what the round listed, and messages with pending actions). Returns how many.
    @discardableResult
    public func prune(_ folderID: FolderID, keeping: Set<MessageID>) throws -> Int {
        try write { db in
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS keep (id TEXT PRIMARY KEY) WITHOUT ROWID")
            try db.execute(sql: "DELETE FROM keep")
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO keep (id) VALUES (?)")
            for id in keeping { try insert.execute(arguments: [id.rawValue]) }
            try db.execute(sql: "DELETE FROM message WHERE folderKey = \(Schema.folderKey) AND id NOT IN (SELECT id FROM keep)",
                           arguments: [folderID.rawValue])
            let pruned = db.changesCount
            try db.execute(sql: "DELETE FROM keep")
            return pruned
        }
    }

    /// Deletes messages removed from their folder that no folder claimed during a complete sync
    /// round (really deleted, or moved to a folder that is not synced), with their bodies.
    @discardableResult
    public func purgeOrphans() throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM message WHERE folderKey = ?", arguments: [Schema.orphanFolderKey])
            return db.changesCount
        }
    }

    /// Shows a user's action at once, before the server has it (it is in the outbox already).
    /// Returns the envelope as it was, or nil when the message is not in the cache.
    @discardableResult
    public func applyLocally(_ action: TriageAction, to id: MessageID) throws -> MessageSummary? {
        try applyLocally([(action, id)])[0]
    }

    /// Shows many actions in one transaction, so a bulk action on 1,000 selected messages
    /// reaches the list (and its observers) as one change. Actions apply in order; returns, for
    /// each, the envelope just before it, or nil when the message is not in the cache.
    @discardableResult
    public func applyLocally(_ changes: [(TriageAction, MessageID)]) throws -> [MessageSummary?] {
        guard !changes.isEmpty else { return [] }
        return try write { db in
            let upsert = try db.cachedStatement(sql: Schema.upsertMessageSQL)
            let select = try db.cachedStatement(sql: Self.messageByIDSQL)
            // Keep the folders' counts in step until the next folder sync brings the server's.
            var total: [FolderID: Int] = [:], unread: [FolderID: Int] = [:]
            let befores = try changes.map { action, id -> MessageSummary? in
                guard let before = try MessageRecord.fetchOne(select, arguments: [id.rawValue])?.summary else { return nil }
                let after = action.applied(to: before)
                try upsert.execute(arguments: MessageRecord.arguments(after))
                let unreadBefore = before.isRead ? 0 : 1, unreadAfter = after.isRead ? 0 : 1
                if before.folderID != after.folderID {
                    total[before.folderID, default: 0] -= 1
                    total[after.folderID, default: 0] += 1
                }
                unread[before.folderID, default: 0] -= unreadBefore
                unread[after.folderID, default: 0] += unreadAfter
                return before
            }
            let adjust = try db.cachedStatement(sql: """
                UPDATE folder SET totalCount = MAX(0, totalCount + ?), unreadCount = MAX(0, unreadCount + ?) WHERE id = ?
                """)
            for folder in Set(total.keys).union(unread.keys) where (total[folder] ?? 0) != 0 || (unread[folder] ?? 0) != 0 {
                try adjust.execute(arguments: [total[folder] ?? 0, unread[folder] ?? 0, folder.rawValue])
            }
            return befores
        }
    }

    /// The envelopes of many messages in one read (those in the cache).
    public func messages(_ ids: [MessageID]) throws -> [MessageID: MessageSummary] {
        try writer.read { db in
            let select = try db.cachedStatement(sql: Self.messageByIDSQL)
            var found: [MessageID: MessageSummary] = [:]
            for id in ids where found[id] == nil {
                if let summary = try MessageRecord.fetchOne(select, arguments: [id.rawValue])?.summary { found[id] = summary }
            }
            return found
        }
    }

    /// Prepared once per bulk call rather than once per message.
    private static let messageByIDSQL = "SELECT \(Schema.messageColumns) FROM message WHERE id = ?"

    /// Removes many messages (the server said they do not exist) in one transaction.
    public func deleteMessages(_ ids: [MessageID]) throws {
        guard !ids.isEmpty else { return }
        try write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM message WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id.rawValue]) }
        }
    }

    public func message(_ id: MessageID) throws -> MessageSummary? {
        try writer.read { db in try MessageRecord.fetchOne(db, id: id)?.summary }
    }

    public func messageCount(in query: MessageQuery) throws -> Int {
        try writer.read { db in try Self.count(db, query) }
    }

    /// The rows of a window: `limit` messages starting at `anchor` (inclusive) in list order,
    /// or from the top when `anchor` is nil. Keyset paging, so the cost does not depend on how
    /// deep in the folder the window is, and new mail arriving above keeps the window on the
    /// same messages.
    public func window(_ query: MessageQuery, from anchor: MessageSortKey?, limit: Int) throws -> MessageWindow {
        try writer.read { db in try Self.window(db, query, from: anchor, limit: limit) }
    }

    /// Up to `limit` rows just above `key` (newer), returned in list order.
    public func rows(_ query: MessageQuery, before key: MessageSortKey, limit: Int) throws -> [MessageSummary] {
        try writer.read { db in
            let (filter, args) = query.whereClause
            let rows = try MessageRecord.fetchAll(db, sql: """
                SELECT \(Schema.messageColumns) FROM message WHERE \(filter) AND (receivedAt > ? OR (receivedAt = ? AND id > ?))
                ORDER BY receivedAt ASC, id ASC LIMIT ?
                """, arguments: args + [key.receivedAt, key.receivedAt, key.id.rawValue, limit])
            return rows.reversed().map(\.summary)
        }
    }

    /// The sort key of the row at `offset` in list order (for jumps such as G), or nil past the end.
    public func key(_ query: MessageQuery, atOffset offset: Int) throws -> MessageSortKey? {
        try writer.read { db in
            // In three steps, so only the index is walked to the offset: the list indexes end in
            // the date, not the id, and the one query would read every row on the way for its id.
            let (filter, args) = query.whereClause
            guard let date = try Double.fetchOne(db, sql: """
                SELECT receivedAt FROM message WHERE \(filter) ORDER BY receivedAt DESC LIMIT 1 OFFSET ?
                """, arguments: args + [max(0, offset)]) else { return nil }
            let newer = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE \(filter) AND receivedAt > ?",
                                         arguments: args + [date]) ?? 0
            let id = try String.fetchOne(db, sql: """
                SELECT id FROM message WHERE \(filter) AND receivedAt = ? ORDER BY id DESC LIMIT 1 OFFSET ?
                """, arguments: args + [date, max(0, offset) - newer])
            return id.map { MessageSortKey(receivedAt: date, id: MessageID($0)) }
        }
    }

    /// Every message of a list, or only its read or unread ones (select all / read / unread), newest first.
    public func messageIDs(_ query: MessageQuery, isRead: Bool? = nil) throws -> [MessageID] {
        try writer.read { db in
            var (filter, args) = query.whereClause
            if let isRead {
                filter += " AND isRead = ?"
                args += [isRead]
            }
            return try String.fetchAll(db, sql: "SELECT id FROM message WHERE \(filter) ORDER BY receivedAt DESC, id DESC",
                                       arguments: args).map(MessageID.init)
        }
    }

    /// Re-delivers the window whenever a write touches the messages it shows (or its count).
    public func observeWindow(_ query: MessageQuery, from anchor: MessageSortKey?, limit: Int) -> AsyncStream<MessageWindow> {
        stream(ValueObservation.tracking { db in try Self.window(db, query, from: anchor, limit: limit) }.removeDuplicates())
    }

    static func count(_ db: Database, _ query: MessageQuery) throws -> Int {
        let (filter, args) = query.whereClause
        return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message WHERE \(filter)", arguments: args) ?? 0
    }

    static func window(_ db: Database, _ query: MessageQuery, from anchor: MessageSortKey?, limit: Int) throws -> MessageWindow {
        let (filter, args) = query.whereClause
        let total = try count(db, query)
        guard let anchor else {
            let rows = try MessageRecord.fetchAll(db, sql: """
                SELECT \(Schema.messageColumns) FROM message WHERE \(filter) ORDER BY receivedAt DESC, id DESC LIMIT ?
                """, arguments: args + [limit])
            return MessageWindow(rows: rows.map(\.summary), startIndex: 0, total: total)
        }
        let above = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM message WHERE \(filter) AND (receivedAt > ? OR (receivedAt = ? AND id > ?))
            """, arguments: args + [anchor.receivedAt, anchor.receivedAt, anchor.id.rawValue]) ?? 0
        let rows = try MessageRecord.fetchAll(db, sql: """
            SELECT \(Schema.messageColumns) FROM message WHERE \(filter) AND (receivedAt < ? OR (receivedAt = ? AND id <= ?))
            ORDER BY receivedAt DESC, id DESC LIMIT ?
            """, arguments: args + [anchor.receivedAt, anchor.receivedAt, anchor.id.rawValue, limit])
        return MessageWindow(rows: rows.map(\.summary), startIndex: above, total: total)
    }

    // MARK: Bodies

    public func content(for id: MessageID) throws -> MessageContent? {
        try writer.read { db in try ContentRecord.fetchOne(db, key: id.rawValue)?.content }
    }

    public func storeContent(_ content: MessageContent) throws {
        try write { db in
            // A body for a message that vanished meanwhile is dropped by the foreign key.
            guard try MessageRecord.exists(db, id: content.messageID) else { return }
            try ContentRecord(content).upsert(db)
        }
    }

    // MARK: Observation plumbing

    /// Bridges a GRDB observation to an AsyncStream so the layers above never import GRDB.
    /// Only the newest value matters to a screen, so older undelivered values are dropped.
    private func stream<Reducer: ValueReducer>(_ observation: ValueObservation<Reducer>) -> AsyncStream<Reducer.Value>
    where Reducer.Value: Sendable {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let cancellable = observation.start(in: writer, scheduling: .async(onQueue: .global(qos: .userInitiated)),
                                                onError: { _ in continuation.finish() },
                                                onChange: { continuation.yield($0) })
            continuation.onTermination = { _ in cancellable.cancel() }
        }
    }
}
