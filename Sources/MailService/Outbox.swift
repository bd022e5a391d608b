import Foundation
import GraphAPI
import MailCache
import MailCore

/// User actions: written to the outbox first, shown at once, replayed to Graph in order.
/// (QUALITY.md Reliability 5; issue 4's "pending actions that survive anything".)
extension MailService {
    /// Marks, flags or moves messages. Returns once the actions are durable and on screen; the
    /// server hears of them as soon as it can be reached, in the order they were made.
    public func perform(_ action: TriageAction, on ids: [MessageID]) throws {
        for id in ids {
            guard let current = try cache.message(id) else { continue }
            try actions.append(action, on: id, undo: action.inverse(restoring: current), sendingSequence: sendingAction)
            try cache.applyLocally(action, to: id)
        }
        scheduleReplay()
    }

    /// Moves messages to a well-known folder (Deleted Items, Archive, Junk Email).
    public func move(_ ids: [MessageID], to wellKnown: WellKnownFolder) throws {
        guard let folder = try cache.folder(wellKnown: wellKnown) else {
            throw TriageError.noSuchFolder(wellKnown)
        }
        try perform(.move(to: folder.id), on: ids.filter { (try? cache.message($0))?.folderID != folder.id })
    }

    /// Starts a replay unless one is running (a running one picks up new actions itself).
    func scheduleReplay() {
        guard replayTask == nil else { return }
        replayTask = Task {
            await self.replayLoop()
            self.replayFinished()
        }
    }

    private func replayFinished() {
        replayTask = nil
    }

    /// Sends what is pending and returns when the outbox is empty or the server unreachable.
    /// Joins a replay already running rather than starting a second one beside it, which could
    /// send the same action twice.
    public func replayPending() async {
        scheduleReplay()
        await replayTask?.value
    }

    /// Sends pending actions one at a time, oldest first. A permanent refusal (the message is
    /// gone, access denied, a bad request) drops the action and undoes it on screen, and says
    /// so; a transient failure leaves it pending for the next attempt (the next poll tick or
    /// action), so nothing loops forever and nothing is lost.
    private func replayLoop() async {
        while let next = try? actions.pending().first {
            sendingAction = next.sequence
            defer { sendingAction = nil }
            do {
                try await send(next)
                try actions.remove(next.sequence)
            } catch let error as GraphError where error.isPermanentRefusal {
                try? actions.remove(next.sequence)
                if error.isNotFound {
                    // The message no longer exists on the server: it leaves the cache too.
                    try? cache.deleteMessage(next.messageID)
                } else {
                    try? cache.applyLocally(next.undo, to: next.messageID)
                }
                report(.actionFailed(message: TextSanitizer.oneLine("\(Self.describe(next.action)) failed and was undone: \(error)")))
            } catch {
                try? actions.recordAttempt(next.sequence)
                report(.offline(pending: (try? actions.count) ?? 0))
                return
            }
        }
    }

    /// State-based and checked, so sending twice (after a crash between the request and the
    /// removal from the outbox) changes nothing.
    private func send(_ pending: PendingAction) async throws {
        let id = pending.messageID.rawValue
        switch pending.action {
        case .markRead(let read):
            try await graph.updateMessage(id: id, ["isRead": read])
        case .flag(let status):
            try await graph.updateMessage(id: id, ["flag": ["flagStatus": status.rawValue]])
        case .move(let destination):
            // Already there (our earlier attempt went through, or another client moved it): done.
            let current = try await graph.message(id: id, select: ["parentFolderId"])
            guard current.parentFolderId != destination.rawValue else { return }
            _ = try await graph.moveMessage(id: id, to: destination.rawValue)
        }
    }

    /// Puts pending actions back on top of envelopes a delta page just wrote, so the server's
    /// older state never flickers over what the user did.
    func reapplyPending(to ids: Set<MessageID>) throws {
        for pending in try actions.pending(for: ids) {
            try cache.applyLocally(pending.action, to: pending.messageID)
        }
    }

    public nonisolated var pendingActionCount: Int { (try? actions.count) ?? 0 }

    static func describe(_ action: TriageAction) -> String {
        switch action {
        case .markRead(true): "marking as read"
        case .markRead(false): "marking as unread"
        case .flag(.flagged): "flagging"
        case .flag(.complete): "marking complete"
        case .flag(.notFlagged): "clearing the flag"
        case .move: "moving"
        }
    }
}

public enum TriageError: Error, CustomStringConvertible {
    case noSuchFolder(WellKnownFolder)

    public var description: String {
        switch self {
        case .noSuchFolder(let folder): "this mailbox has no \(folder.rawValue) folder (yet: it may not be synced)"
        }
    }
}

extension GraphError {
    /// The server will never accept this request as it is: retrying cannot help.
    var isPermanentRefusal: Bool {
        guard case .service(let status, _, _, _, _) = self else { return false }
        return [400, 403, 404, 405, 409, 410, 422].contains(status)
    }
}
