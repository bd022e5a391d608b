import Foundation
import GRDB
import MailCore

/// The outbox's side of a migration from regular to immutable message ids.
extension ActionStore {
    /// Every message a pending action is about.
    public func messageIDs() throws -> Set<MessageID> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT messageId FROM action").map(MessageID.init))
        }
    }

    /// Gives pending actions their message's new id, in one transaction, keeping their order,
    /// attempts and undo. Actions on ids not in `renames` are left alone: one whose message the
    /// server no longer knows stays as it is, so the replay meets the refusal and tells the user,
    /// instead of the action vanishing silently. Idempotent. Returns how many actions changed.
    @discardableResult
    public func rewriteMessageIDs(_ renames: [MessageID: MessageID]) throws -> Int {
        let changes = renames.filter { $0.key != $0.value }
        guard !changes.isEmpty else { return 0 }
        return try write { db in
            // The outbox holds a handful of messages; a chunk of renames holds up to 1,000.
            let pending = Set(try String.fetchAll(db, sql: "SELECT DISTINCT messageId FROM action").map(MessageID.init))
            let update = try db.cachedStatement(sql: "UPDATE action SET messageId = ? WHERE messageId = ?")
            var changed = 0
            for (old, new) in changes where pending.contains(old) {
                try update.execute(arguments: [new.rawValue, old.rawValue])
                changed += db.changesCount
            }
            return changed
        }
    }
}
