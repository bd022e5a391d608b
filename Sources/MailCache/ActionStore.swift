import Foundation
import GRDB
import MailCore

/// The outbox: every user action, durably, before anything else happens to it
/// (QUALITY.md Reliability 5). A separate database under `$XDG_STATE_HOME`, not the
/// rebuildable cache, with `synchronous = FULL`: once `append` returns, the action survives
/// kill -9 and power loss, and a corrupt or deleted cache never takes actions with it.
public final class ActionStore: Sendable {
    let writer: any DatabaseWriter

    public static func open(at url: URL) throws -> ActionStore {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return try ActionStore(writer: DatabaseQueue(path: url.path, configuration: config))
    }

    public static func inMemory() throws -> ActionStore {
        try ActionStore(writer: DatabaseQueue())
    }

    /// Every write goes through here: one transaction, then a crash point (see `CrashPoint`).
    /// A full disk or a read-only file becomes `MailCacheError.diskFull(.outbox)` / `.readOnly(.outbox)`.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        let result = try MailCacheError.mappingStorageFailures(in: .outbox, path: writer.filePath) { try writer.write(updates) }
        CrashPoint.hit()
        return result
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE action (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    messageId TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    action TEXT NOT NULL,
                    undo TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    createdAt DOUBLE NOT NULL
                );
                CREATE INDEX action_by_message ON action(messageId, kind);
                """)
        }
        migrator.registerMigration("v2-failures") { db in
            // Transient refusals by the server, apart from attempts that never got an answer
            // (offline): only the former count towards giving up.
            try db.execute(sql: "ALTER TABLE action ADD COLUMN failures INTEGER NOT NULL DEFAULT 0")
        }
        try migrator.migrate(writer)
    }

    /// Records an action. A later action of the same kind on the same message replaces an
    /// earlier one that is not being sent (`sendingSequence`), keeping the earlier undo; if it
    /// merely puts back what the earlier one changed, both vanish and nothing is sent.
    /// Returns the pending action, or nil when it cancelled out.
    @discardableResult
    public func append(_ action: TriageAction, on id: MessageID, undo: TriageAction,
                       sendingSequence: Int64? = nil) throws -> PendingAction? {
        try append([NewAction(action, on: id, undo: undo)], sending: sendingSequence.map { [$0] } ?? [])[0]
    }

    /// Records many actions in one transaction (a bulk action on 1,000 selected messages is one
    /// write), with the same coalescing as `append(_:on:undo:sendingSequence:)`; actions in
    /// `sending` are on the wire and never rewritten. Returns, for each action in order, the
    /// pending action or nil when it cancelled out.
    @discardableResult
    public func append(_ actions: [NewAction], sending: Set<Int64> = []) throws -> [PendingAction?] {
        guard !actions.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        return try write { db in
            let earlierOnes = try db.cachedStatement(sql: """
                SELECT sequence, undo FROM action WHERE messageId = ? AND kind = ? ORDER BY sequence DESC
                """)
            let delete = try db.cachedStatement(sql: "DELETE FROM action WHERE sequence = ?")
            let insert = try db.cachedStatement(sql: """
                INSERT INTO action (messageId, kind, action, undo, createdAt) VALUES (?, ?, ?, ?, ?)
                """)
            // A bulk action repeats a handful of distinct values a thousand times: encode each once.
            var encoded: [TriageAction: String] = [:]
            func json(_ action: TriageAction) throws -> String {
                if let text = encoded[action] { return text }
                let text = try Self.encode(action)
                encoded[action] = text
                return text
            }
            return try actions.map { new -> PendingAction? in
                // A send never replaces an earlier one: that one may have gone out already, and
                // its attempt count is what makes the replay check before sending again.
                let earlier = new.action.isSend ? nil : try Row.fetchAll(earlierOnes, arguments: [new.messageID.rawValue, new.action.kind])
                    .first { !sending.contains($0["sequence"]) }
                var originalUndo = new.undo
                if let earlier {
                    originalUndo = try Self.decode(earlier["undo"])
                    try delete.execute(arguments: [earlier["sequence"] as Int64])
                    if originalUndo == new.action { return nil }
                }
                try insert.execute(arguments: [new.messageID.rawValue, new.action.kind, try json(new.action),
                                               try json(originalUndo), now])
                return PendingAction(sequence: db.lastInsertedRowID, messageID: new.messageID, action: new.action,
                                     undo: originalUndo)
            }
        }
    }

    /// Every pending action, oldest first.
    public func pending() throws -> [PendingAction] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM action ORDER BY sequence").map(Self.pendingAction)
        }
    }

    public func pending(for ids: Set<MessageID>) throws -> [PendingAction] {
        guard !ids.isEmpty else { return [] }
        return try writer.read { db in
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return try Row.fetchAll(db, sql: "SELECT * FROM action WHERE messageId IN (\(placeholders)) ORDER BY sequence",
                                    arguments: StatementArguments(ids.map(\.rawValue))).map(Self.pendingAction)
        }
    }

    public var count: Int {
        get throws { try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM action") ?? 0 } }
    }

    /// The server has it (or it failed for good): it is no longer pending.
    public func remove(_ sequence: Int64) throws {
        try remove([sequence])
    }

    /// Removes many actions in one transaction.
    public func remove(_ sequences: some Collection<Int64>) throws {
        guard !sequences.isEmpty else { return }
        try update("DELETE FROM action WHERE sequence = ?", sequences)
    }

    public func recordAttempt(_ sequence: Int64) throws {
        try recordAttempts([sequence])
    }

    /// Counts an attempt of each action, in one transaction. A send records its attempt before
    /// the request leaves, so a restart knows it must check before sending again.
    public func recordAttempts(_ sequences: some Collection<Int64>) throws {
        guard !sequences.isEmpty else { return }
        try update("UPDATE action SET attempts = attempts + 1 WHERE sequence = ?", sequences)
    }

    /// Counts a transient refusal by the server (429, 5xx) of each action, in one transaction.
    public func recordFailures(_ sequences: some Collection<Int64>) throws {
        guard !sequences.isEmpty else { return }
        try update("UPDATE action SET failures = failures + 1, attempts = attempts + 1 WHERE sequence = ?", sequences)
    }

    private func update(_ sql: String, _ sequences: some Collection<Int64>) throws {
        try write { db in
            let statement = try db.cachedStatement(sql: sql)
            for sequence in sequences { try statement.execute(arguments: [sequence]) }
        }
    }

    static func pendingAction(_ row: Row) throws -> PendingAction {
        PendingAction(sequence: row["sequence"], messageID: MessageID(row["messageId"]), action: try decode(row["action"]),
                      undo: try decode(row["undo"]), attempts: row["attempts"], failures: row["failures"])
    }

    static func encode(_ action: TriageAction) throws -> String {
        String(decoding: try JSONEncoder().encode(action), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> TriageAction {
        try JSONDecoder().decode(TriageAction.self, from: Data(text.utf8))
    }
}
