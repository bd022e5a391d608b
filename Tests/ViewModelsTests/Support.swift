import Foundation
import GraphAPI
import MailCache
import MailCore
import MailService
import Testing

/// A service over an in-memory cache whose Graph endpoint refuses connections (port 1 on
/// loopback): view-model tests exercise the cache path, and any network use fails visibly.
func offlineService(cache: MailCache) throws -> MailService {
    // A short deadline: AsyncHTTPClient keeps retrying a refused connection until the deadline.
    let graph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:1/v1.0")!,
                                                                  requestTimeout: .seconds(2)),
                            tokenProvider: { "unused" }, retry: .none)
    return try MailService(graph: graph, cache: cache)
}

let inboxID = FolderID("inbox")
let archiveID = FolderID("archive")
let epoch = Date(timeIntervalSince1970: 1_700_000_000)

func envelope(_ n: Int, classification: InboxTab = .focused) -> EnvelopeChange {
    EnvelopeChange(id: MessageID("m\(n)"), subject: "Subject \(n)", from: EmailAddress(name: "Sender \(n)", address: "s\(n)@x.org"),
                   receivedAt: epoch.addingTimeInterval(Double(n) * 60), isRead: n % 2 == 0, flag: .notFlagged,
                   hasAttachments: false, importance: .normal, inferenceClassification: classification, bodyPreview: "")
}

func mailbox(messages: Int) throws -> MailCache {
    let cache = try MailCache.inMemory()
    try cache.applyFolderPage(upserts: [
        Folder(id: inboxID, parentID: FolderID("root"), displayName: "Inbox"),
        Folder(id: archiveID, parentID: FolderID("root"), displayName: "Archive"),
        Folder(id: FolderID("projects"), parentID: inboxID, displayName: "Projects"),
        Folder(id: FolderID("zeta"), parentID: FolderID("projects"), displayName: "Zeta"),
        Folder(id: FolderID("alpha"), parentID: FolderID("projects"), displayName: "alpha"),
        Folder(id: FolderID("custom"), parentID: FolderID("root"), displayName: "Customers"),
        Folder(id: FolderID("hidden"), parentID: FolderID("root"), displayName: "Hidden", isHidden: true),
    ], removed: [], cursor: nil)
    try cache.setWellKnown(.inbox, folderID: inboxID)
    try cache.setWellKnown(.archive, folderID: archiveID)
    try cache.applyMessagePage(folderID: inboxID, changes: (0..<messages).map { envelope($0, classification: $0 % 10 == 0 ? .other : .focused) },
                               removed: [], cursor: nil)
    return cache
}

/// Waits for the first snapshot that satisfies `predicate`, failing after `timeout`.
func first<S: Sendable>(_ stream: AsyncStream<S>, timeout: Duration = .seconds(10),
                        where predicate: @escaping @Sendable (S) -> Bool) async throws -> S {
    try await withThrowingTaskGroup(of: S?.self) { group in
        group.addTask {
            for await value in stream where predicate(value) { return value }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() ?? nil else {
            throw TimeoutError()
        }
        return result
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    var description: String { "no snapshot matched before the timeout" }
}
