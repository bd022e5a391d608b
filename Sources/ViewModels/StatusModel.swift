import Foundation
import MailCore
import MailService

public struct StatusSnapshot: Hashable, Sendable {
    public var account: String
    public var activity: String
    public var isBusy: Bool
    public var isError: Bool

    public init(account: String = "", activity: String = "", isBusy: Bool = false, isError: Bool = false) {
        self.account = account
        self.activity = activity
        self.isBusy = isBusy
        self.isError = isError
    }
}

/// The account and what the sync engine is doing, in words for the status line.
public actor StatusModel {
    public nonisolated var snapshots: AsyncStream<StatusSnapshot> { publisher.stream }
    private let publisher = SnapshotPublisher<StatusSnapshot>()
    private var current: StatusSnapshot
    private var observation: Task<Void, Never>?

    public init(account: String) {
        current = StatusSnapshot(account: TextSanitizer.oneLine(account))
    }

    public var snapshot: StatusSnapshot { current }

    public func follow(_ activity: AsyncStream<SyncActivity>) {
        observation?.cancel()
        observation = Task { [weak self] in
            for await value in activity {
                await self?.update(value)
            }
        }
    }

    func update(_ activity: SyncActivity) {
        current.activity = Self.describe(activity)
        current.isBusy = activity.isBusy
        switch activity {
        case .failed, .offline, .cacheUnwritable: current.isError = true
        default: current.isError = false
        }
        publisher.publish(current)
    }

    static func describe(_ activity: SyncActivity) -> String {
        switch activity {
        case .idle(let last?):
            return "synced \(last.formatted(date: .omitted, time: .shortened))"
        case .idle(nil):
            return "not synced yet"
        case .syncingFolders:
            return "syncing folders…"
        case .syncingMessages(let folder, let count):
            return count == 0 ? "syncing \(folder)…" : "syncing \(folder)… \(count.formatted()) messages"
        case .updatingMessageIDs(let done, let total):
            return "updating message ids \(done.formatted())/\(total.formatted())"
        case .retrying(let throttled, let seconds):
            return throttled ? "throttled, retrying in \(seconds) s" : "server unavailable, retrying in \(seconds) s"
        case .offline(let pending):
            return pending == 0 ? "offline" : "offline, \(pending) pending"
        case .cacheUnwritable(let problem, let pending):
            // Short: the status line has about half a screen's width. What happened comes first,
            // then what it costs; the full story is in the log and the opening notice.
            let what = switch problem {
            case .diskFull: "disk full: new mail not saved"
            case .readOnly: "cache read-only: new mail not saved"
            }
            return pending == 0 ? what : "\(what), \(pending) pending"
        case .failed(let message):
            return "sync failed: \(message)"
        }
    }
}
