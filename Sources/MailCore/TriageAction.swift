/// A change the user makes to a message. Each is state-based ("make it read", "put it in
/// Archive", "this draft is sent"), never relative ("toggle"), so replaying one twice is harmless;
/// a send is the exception, which is why the outbox checks the draft is still in Drafts before
/// sending again.
///
/// Stored as JSON in the outbox (`pending.sqlite`) with Swift's synthesised coding
/// (`{"markRead":{"_0":true}}`, `{"move":{"to":{"rawValue":"…"}}}`): a case may be added, but the existing
/// cases and their labels must never change, or actions written by an older Otter would not
/// decode.
public enum TriageAction: Codable, Hashable, Sendable {
    case markRead(Bool)
    case flag(FlagStatus)
    case move(to: FolderID)
    /// Sends a draft. Locally the draft leaves Drafts for `sentItems` at once; the server is asked
    /// only after checking that an earlier attempt did not already send it (a sent draft keeps its
    /// immutable ID, GRAPH.md §4).
    case send(sentItems: FolderID)

    /// Which part of a message the action sets; two actions of one kind on one message coalesce.
    public var kind: String {
        switch self {
        case .markRead: "read"
        case .flag: "flag"
        case .move: "move"
        case .send: "send"
        }
    }

    public var isSend: Bool {
        if case .send = self { true } else { false }
    }

    /// The action that puts back what `summary` shows now (for undo and for a permanent failure).
    /// A refused send puts the draft back where it was.
    public func inverse(restoring summary: MessageSummary) -> TriageAction {
        switch self {
        case .markRead: .markRead(summary.isRead)
        case .flag: .flag(summary.flag)
        case .move, .send: .move(to: summary.folderID)
        }
    }

    /// The envelope as it looks once the action is applied.
    public func applied(to summary: MessageSummary) -> MessageSummary {
        var result = summary
        switch self {
        case .markRead(let read): result.isRead = read
        case .flag(let status): result.flag = status
        case .move(let folder): result.folderID = folder
        case .send(let sentItems):
            // What Exchange does to a sent draft: it is in Sent Items, and read.
            result.folderID = sentItems
            result.isRead = true
        }
        return result
    }
}

/// An action waiting to reach the server, in the order the user made them.
public struct PendingAction: Hashable, Sendable {
    public var sequence: Int64
    public var messageID: MessageID
    public var action: TriageAction
    /// What to put back if the server refuses the action for good.
    public var undo: TriageAction
    /// Attempts whose outcome is unknown or failed for a while. A send counts its attempt before
    /// the request leaves, so `attempts > 0` means an earlier attempt may have gone through.
    public var attempts: Int
    /// Times the server answered this action with a transient failure (429, 5xx) after the
    /// client's own retries; the outbox gives up after a few (nothing loops forever).
    public var failures: Int

    public init(sequence: Int64, messageID: MessageID, action: TriageAction, undo: TriageAction, attempts: Int = 0,
                failures: Int = 0) {
        self.sequence = sequence
        self.messageID = messageID
        self.action = action
        self.undo = undo
        self.attempts = attempts
        self.failures = failures
    }
}

/// An action to record in the outbox: what to do to which message, and what undoes it.
public struct NewAction: Hashable, Sendable {
    public var action: TriageAction
    public var messageID: MessageID
    public var undo: TriageAction

    public init(_ action: TriageAction, on messageID: MessageID, undo: TriageAction) {
        self.action = action
        self.messageID = messageID
        self.undo = undo
    }
}
