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
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        let result = try writer.write(updates)
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
        try migrator.migrate(writer)
    }

    /// Records an action. A later action of the same kind on the same message replaces an
    /// earlier one that is not being sent (`sendingSequence`), keeping the earlier undo; if it
    /// merely puts back what the earlier one changed, both vanish and nothing is sent.
    /// Returns the pending action, or nil when it cancelled out.
    @discardableResult
    public func append(_ action: TriageAction, on id: MessageID, undo: TriageAction,
                       sendingSequence: Int64? = nil) throws -> PendingAction? {
        try write { db in
            let earlier = try Row.fetchOne(db, sql: """
                SELECT sequence, undo FROM action WHERE messageId = ? AND kind = ? AND sequence != ?
                ORDER BY sequence DESC LIMIT 1
                """, arguments: [id.rawValue, action.kind, sendingSequence ?? -1])
            var originalUndo = undo
            if let earlier {
                originalUndo = try Self.decode(earlier["undo"])
                try db.execute(sql: "DELETE FROM action WHERE sequence = ?", arguments: [earlier["sequence"] as Int64])
                if originalUndo == action { return nil }
            }
            try db.execute(sql: """
                INSERT INTO action (messageId, kind, action, undo, createdAt) VALUES (?, ?, ?, ?, ?)
                """, arguments: [id.rawValue, action.kind, try Self.encode(action), try Self.encode(originalUndo),
                                 Date().timeIntervalSince1970])
            return PendingAction(sequence: db.lastInsertedRowID, messageID: id, action: action, undo: originalUndo)
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
        try write { db in try db.execute(sql: "DELETE FROM action WHERE sequence = ?", arguments: [sequence]) }
    }

    public func recordAttempt(_ sequence: Int64) throws {
        try write { db in
            try db.execute(sql: "UPDATE action SET attempts = attempts + 1 WHERE sequence = ?", arguments: [sequence])
        }
    }

    static func pendingAction(_ row: Row) throws -> PendingAction {
        PendingAction(sequence: row["sequence"], messageID: MessageID(row["messageId"]), action: try decode(row["action"]),
                      undo: try decode(row["undo"]), attempts: row["attempts"])
    }

    static func encode(_ action: TriageAction) throws -> String {
        String(decoding: try JSONEncoder().encode(action), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> TriageAction {
        try JSONDecoder().decode(TriageAction.self, from: Data(text.utf8))
    }
}
