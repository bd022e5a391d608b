/// A change the user makes to a message. Each is state-based ("make it read", "put it in
/// Archive"), never relative ("toggle"), so replaying one twice is harmless.
public enum TriageAction: Codable, Hashable, Sendable {
    case markRead(Bool)
    case flag(FlagStatus)
    case move(to: FolderID)

    /// Which part of a message the action sets; two actions of one kind on one message coalesce.
    public var kind: String {
        switch self {
        case .markRead: "read"
        case .flag: "flag"
        case .move: "move"
        }
    }

    /// The action that puts back what `summary` shows now (for undo and for a permanent failure).
    public func inverse(restoring summary: MessageSummary) -> TriageAction {
        switch self {
        case .markRead: .markRead(summary.isRead)
        case .flag: .flag(summary.flag)
        case .move: .move(to: summary.folderID)
        }
    }

    /// The envelope as it looks once the action is applied.
    public func applied(to summary: MessageSummary) -> MessageSummary {
        var result = summary
        switch self {
        case .markRead(let read): result.isRead = read
        case .flag(let status): result.flag = status
        case .move(let folder): result.folderID = folder
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
    public var attempts: Int

    public init(sequence: Int64, messageID: MessageID, action: TriageAction, undo: TriageAction, attempts: Int = 0) {
        self.sequence = sequence
        self.messageID = messageID
        self.action = action
        self.undo = undo
        self.attempts = attempts
    }
}
