import Foundation
import GraphAPI
import Logging
import MailCache
import MailCore

/// User actions: written to the outbox first, shown at once, replayed to Graph in order.
/// (QUALITY.md Reliability 5; issue 4's "pending actions that survive anything".)
extension MailService {
    /// Marks, flags or moves messages. Returns once the actions are durable and on screen; the
    /// server hears of them as soon as it can be reached, in the order they were made. However
    /// many messages, that is one outbox transaction and one cache transaction, so the list
    /// changes in one frame. Returns the ids it left alone because the cache no longer has them
    /// (a sync removed them meanwhile), so the caller can say so rather than drop them silently.
    @discardableResult
    public func perform(_ action: TriageAction, on ids: [MessageID]) throws -> [MessageID] {
        let current = try cache.messages(ids)
        var seen: Set<MessageID> = []
        let missing = ids.filter { current[$0] == nil }
        let new = ids.compactMap { id -> NewAction? in
            guard seen.insert(id).inserted, let summary = current[id] else { return nil }
            return NewAction(action, on: id, undo: action.inverse(restoring: summary))
        }
        guard !new.isEmpty else { return missing }
        try actions.append(new, sending: sendingActions)
        do {
            try cache.applyLocally(new.map { ($0.action, $0.messageID) })
        } catch {
            // The outbox has them, so they are sent all the same; only the list cannot show
            // them while the cache cannot be written (disk full, read-only), and says so.
            guard let unwritable = Self.cacheUnwritable(error, pending: pendingActionCount) else { throw error }
            report(unwritable)
        }
        scheduleReplay()
        return missing
    }

    /// Moves messages to a well-known folder (Deleted Items, Archive, Junk Email). Returns the
    /// ids it left alone as `perform` does.
    @discardableResult
    public func move(_ ids: [MessageID], to wellKnown: WellKnownFolder) throws -> [MessageID] {
        guard let folder = try cache.folder(wellKnown: wellKnown) else {
            throw TriageError.noSuchFolder(wellKnown)
        }
        let current = try cache.messages(ids)
        return try perform(.move(to: folder.id), on: ids.filter { current[$0]?.folderID != folder.id })
    }

    /// Sends a draft (a message in Drafts). It moves to Sent Items on screen at once and is sent
    /// as soon as the server can be reached, never twice: an attempt whose answer was lost is
    /// checked in Sent Items before any resend.
    public func send(draft id: MessageID) throws {
        guard let drafts = try cache.folder(wellKnown: .drafts) else { throw TriageError.noSuchFolder(.drafts) }
        guard let sentItems = try cache.folder(wellKnown: .sentitems) else { throw TriageError.noSuchFolder(.sentitems) }
        guard try cache.message(id)?.folderID == drafts.id else { throw TriageError.notADraft }
        try perform(.send(sentItems: sentItems.id), on: [id])
    }

    /// Starts a replay unless one is running (a running one picks up new actions itself).
    func scheduleReplay() {
        guard replayTask == nil else { return }
        replayTask = Task {
            let refused = await self.replayLoop()
            self.replayFinished()
            return refused
        }
    }

    private func replayFinished() {
        replayTask = nil
    }

    /// Sends what is pending and returns when the outbox is empty, the server unreachable, or
    /// what is left failed for now. Joins a replay already running rather than starting a second
    /// one beside it, which could send the same action twice. Returns what the server refused
    /// for good, in one line (also sent on `actionFailures`), or nil.
    @discardableResult
    public func replayPending() async -> String? {
        scheduleReplay()
        return await replayTask?.value ?? nil
    }

    /// Sends pending actions in rounds. A round takes the oldest pending action of each message
    /// (so the actions on one message go out in order, never two in one batch), checks the moves
    /// and the sends tried before against the server, then sends the rest, through `$batch` when
    /// there are several. A permanent refusal drops the action and undoes it on screen; a
    /// transient one holds that message's actions back until the next replay (the next poll
    /// tick or action), and after `maximumFailures` of them the action is given up, so nothing
    /// loops forever; no answer at all (offline) ends the replay. Nothing is lost.
    private func replayLoop() async -> String? {
        var heldBack: Set<MessageID> = []
        var refusals: [Refusal] = []
        var stop: SyncActivity?
        while stop == nil {
            guard let pending = try? actions.pending() else { break }
            var seen: Set<MessageID> = []
            let ready = pending.filter { seen.insert($0.messageID).inserted && !heldBack.contains($0.messageID) }
            guard !ready.isEmpty else { break }
            sendingActions = Set(ready.map(\.sequence))
            var round = Round()
            await replay(ready, into: &round)
            sendingActions = []
            heldBack.formUnion(round.heldBack)
            refusals += round.refusals
            stop = round.stop
        }
        if let stop {
            report(stop)
        } else if !heldBack.isEmpty {
            let waiting = (try? actions.count) ?? heldBack.count
            report(.failed(message: "the server did not take \(waiting) pending actions yet; they stay queued and will be retried"))
        }
        guard let refused = Self.describe(refusals) else { return nil }
        logger.warning("\(refused)")
        actionFailureContinuation.yield(refused)
        return refused
    }

    /// What a round of replay found out.
    private struct Round {
        /// Messages whose action failed for now: their later actions must wait behind it.
        var heldBack: Set<MessageID> = []
        var refusals: [Refusal] = []
        /// Why the replay ends early (no answer from the server at all).
        var stop: SyncActivity?
    }

    private struct Refusal {
        var action: TriageAction
        var error: GraphError
    }

    /// How many transient refusals by the server an action gets before it is given up.
    public static let maximumFailures = 8

    private func replay(_ ready: [PendingAction], into round: inout Round) async {
        // Moves are checked against the message's current folder, and a send tried before by
        // whether the draft is still in Drafts: an earlier attempt (or another client) may have
        // done it already.
        let checks = ready.filter { pending in
            switch pending.action {
            case .move: true
            case .send: pending.attempts > 0
            case .markRead, .flag: false
            }
        }
        let checked = Set(checks.map(\.sequence))
        var writes = ready.filter { !checked.contains($0.sequence) }
        let drafts = checks.contains { $0.action.isSend } ? (try? cache.folder(wellKnown: .drafts))?.id : nil
        for chunk in Self.chunks(checks) {
            let requests = chunk.map {
                graph.messageRequest(id: $0.messageID.rawValue, select: ["parentFolderId", "isDraft"], requestID: String($0.sequence))
            }
            guard let answers = await execute(requests, for: chunk, into: &round) else { return }
            var done: [PendingAction] = [], failed: [(PendingAction, GraphError)] = []
            for (pending, answer) in zip(chunk, answers) {
                if let error = answer.error {
                    failed.append((pending, error))
                    continue
                }
                let message = try? answer.decode(GraphMessage.self)
                if let message, Self.alreadyDone(pending.action, on: message, drafts: drafts) {
                    done.append(pending)
                } else if message == nil, pending.action.isSend {
                    // Not knowing whether the draft went, sending it again could send it twice.
                    failed.append((pending, .invalidResponse(status: answer.status, reason: "the draft's state could not be read")))
                } else {
                    writes.append(pending)   // a move seen elsewhere, or unreadable: moving again is harmless
                }
            }
            settle(done: done, failed: failed, into: &round)
            if round.stop != nil { return }
        }
        writes.sort { $0.sequence < $1.sequence }
        for chunk in Self.chunks(writes) {
            // A send is counted as attempted before it leaves: should the answer be lost (a
            // crash, a dropped connection), the next replay checks before sending again.
            let sends = chunk.filter(\.action.isSend).map(\.sequence)
            do { try actions.recordAttempts(sends) } catch {
                round.stop = .failed(message: TextSanitizer.oneLine("the outbox cannot be written: \(error)"))
                return
            }
            let requests: [GraphBatchRequest]
            do { requests = try chunk.map(writeRequest) } catch {
                round.stop = .failed(message: TextSanitizer.oneLine(String(describing: error)))
                return
            }
            guard let answers = await execute(requests, for: chunk, into: &round) else { return }
            var done: [PendingAction] = [], failed: [(PendingAction, GraphError)] = []
            for (pending, answer) in zip(chunk, answers) {
                if let error = answer.error { failed.append((pending, error)) } else { done.append(pending) }
            }
            settle(done: done, failed: failed, into: &round)
            if round.stop != nil { return }
        }
    }

    /// Sends one chunk; nil when no answer came (offline, a broken answer), with the attempt
    /// counted and the reason in `round.stop`.
    private func execute(_ requests: [GraphBatchRequest], for chunk: [PendingAction],
                         into round: inout Round) async -> [GraphBatchResponse]? {
        do {
            return try await graph.execute(requests)
        } catch {
            // Sends counted their attempt already.
            try? actions.recordAttempts(chunk.filter { !$0.action.isSend }.map(\.sequence))
            round.stop = Self.activity(for: error, pending: pendingActionCount)
            return nil
        }
    }

    private func writeRequest(_ pending: PendingAction) throws -> GraphBatchRequest {
        let id = pending.messageID.rawValue, requestID = String(pending.sequence)
        switch pending.action {
        case .markRead(let read):
            return try graph.updateRequest(message: id, ["isRead": read], requestID: requestID)
        case .flag(let status):
            return try graph.updateRequest(message: id, ["flag": ["flagStatus": status.rawValue]], requestID: requestID)
        case .move(let destination):
            return try graph.moveRequest(message: id, to: destination.rawValue, requestID: requestID)
        case .send:
            return graph.sendRequest(draft: id, requestID: requestID)
        }
    }

    /// Whether the server shows the action done already: the message is in the destination, or
    /// the draft was sent (with immutable ids a sent draft keeps its id, in Sent Items).
    ///
    /// A send counts as done once the draft is anywhere but Drafts: Exchange sends after
    /// answering 202, passing the message through the Outbox, and GRAPH.md §4 warns that it may
    /// not be readable in Sent Items at once. Only a draft still in Drafts was never taken.
    private static func alreadyDone(_ action: TriageAction, on message: GraphMessage, drafts: FolderID?) -> Bool {
        switch action {
        case .move(let destination): message.parentFolderId == destination.rawValue
        case .send(let sentItems):
            message.isDraft == false || message.parentFolderId == sentItems.rawValue
                || (drafts != nil && message.parentFolderId != drafts?.rawValue)
        case .markRead, .flag: false
        }
    }

    /// Records the outcome of a chunk: the cache first (undo a refusal, forget a message the
    /// server does not have), then the outbox, so a crash in between replays the action and
    /// undoes it again rather than leave the cache wrong. Each is one transaction.
    private func settle(done: [PendingAction], failed: [(PendingAction, GraphError)], into round: inout Round) {
        var finished = done
        var undo: [(TriageAction, MessageID)] = [], gone: [MessageID] = [], transient: [PendingAction] = []
        for (pending, error) in failed {
            if error.isNotFound, case .send = pending.action, pending.attempts > 0 {
                // A draft tried before is gone: most likely that attempt sent it, and Graph warns
                // the sent copy may not be readable at once (GRAPH.md §4). It is never sent again;
                // the cache forgets it until the Sent Items sync brings it back.
                logger.notice("a draft sent earlier is no longer readable; not sending it again")
                gone.append(pending.messageID)
                finished.append(pending)
                continue
            }
            if error.isNotFound {
                // The message no longer exists on the server: it leaves the cache too.
                gone.append(pending.messageID)
            } else if error.isPermanentRefusal || pending.failures + 1 >= Self.maximumFailures {
                undo.append((pending.undo, pending.messageID))
            } else {
                transient.append(pending)
                round.heldBack.insert(pending.messageID)
                continue
            }
            finished.append(pending)
            round.refusals.append(Refusal(action: pending.action, error: error))
        }
        // A cache that cannot be written (full disk, read-only) must not hold the outbox up:
        // the server has answered, and the cache is rebuilt from the server anyway.
        var cacheProblem: SyncActivity?
        do {
            try cache.applyLocally(undo)
            try cache.deleteMessages(gone)
        } catch {
            cacheProblem = Self.cacheUnwritable(error, pending: pendingActionCount)
                ?? .failed(message: TextSanitizer.oneLine("the cache cannot be updated: \(error)"))
        }
        do {
            try actions.remove(finished.map(\.sequence))
            try actions.recordFailures(transient.map(\.sequence))
        } catch {
            round.stop = .failed(message: TextSanitizer.oneLine("the outbox cannot be written: \(error)"))
            return
        }
        if let cacheProblem { report(cacheProblem) }
    }

    private static func chunks(_ actions: [PendingAction]) -> [[PendingAction]] {
        actions.chunked(GraphClient.maximumBatchSize).map(Array.init)
    }

    /// Puts pending actions back on top of envelopes a delta page just wrote, so the server's
    /// older state never flickers over what the user did.
    func reapplyPending(to ids: Set<MessageID>) throws {
        let pending = try actions.pending(for: ids)
        guard !pending.isEmpty else { return }
        try cache.applyLocally(pending.map { ($0.action, $0.messageID) })
    }

    public nonisolated var pendingActionCount: Int { (try? actions.count) ?? 0 }

    /// One status line for the refusals of a replay, however many.
    private static func describe(_ refusals: [Refusal]) -> String? {
        guard let first = refusals.first else { return nil }
        let text: String
        if refusals.count == 1 {
            text = "\(describe(first.action)) failed and was undone: \(first.error)"
        } else {
            let kinds = refusals.reduce(into: [String]()) { kinds, refusal in
                let kind = describe(refusal.action)
                if !kinds.contains(kind) { kinds.append(kind) }
            }
            if kinds.count == 1 {
                text = "\(kinds[0]) failed for \(refusals.count) messages and was undone: \(first.error)"
            } else {
                text = "\(refusals.count) actions failed and were undone (\(kinds.joined(separator: ", "))): \(first.error)"
            }
        }
        return TextSanitizer.oneLine(text)
    }

    static func describe(_ action: TriageAction) -> String {
        switch action {
        case .markRead(true): "marking as read"
        case .markRead(false): "marking as unread"
        case .flag(.flagged): "flagging"
        case .flag(.complete): "marking complete"
        case .flag(.notFlagged): "clearing the flag"
        case .move: "moving"
        case .send: "sending"
        }
    }
}

public enum TriageError: Error, CustomStringConvertible {
    case noSuchFolder(WellKnownFolder)
    /// Only a message in Drafts can be sent.
    case notADraft

    public var description: String {
        switch self {
        case .noSuchFolder(let folder): "this mailbox has no \(folder.rawValue) folder (yet: it may not be synced)"
        case .notADraft: "only a draft can be sent"
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
