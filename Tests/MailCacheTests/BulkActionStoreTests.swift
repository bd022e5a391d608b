import Foundation
import GRDB
@testable import MailCache
import MailCore
import Testing

/// A bulk action on many selected messages: one outbox transaction and one cache transaction,
/// so the list changes in one frame; and outboxes written by an older Otter still open.
@Suite struct BulkActionStoreTests {
    let inbox = FolderID("inbox-id")
    let archive = FolderID("archive-id")

    /// Counts the transactions committed on a database.
    final class CommitCounter: TransactionObserver, @unchecked Sendable {
        // @unchecked: GRDB calls the observer on the writer's queue only, one call at a time.
        var commits = 0
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits += 1 }
        func databaseDidRollback(_ db: Database) {}
    }

    func cache(messages count: Int) throws -> MailCache {
        let cache = try MailCache.inMemory()
        try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox", unreadCount: count, totalCount: count),
                                            Folder(id: archive, parentID: nil, displayName: "Archive")],
                                  removed: [], cursor: nil)
        try cache.applyMessagePage(folderID: inbox, changes: (0..<count).map {
            EnvelopeChange(id: MessageID("m\($0)"), subject: "Subject \($0)", receivedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + $0)),
                           isRead: false)
        }, removed: [], cursor: nil)
        return cache
    }

    @Test func aThousandMessagesChangeInOneCacheTransaction() throws {
        let cache = try cache(messages: 1_000)
        let counter = CommitCounter()
        cache.writer.add(transactionObserver: counter, extent: .observerLifetime)
        let ids = (0..<1_000).map { MessageID("m\($0)") }
        let before = try cache.applyLocally(ids.map { (TriageAction.markRead(true), $0) })
        #expect(counter.commits == 1)
        #expect(before.allSatisfy { $0?.isRead == false })
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 1_000)
        #expect(try cache.window(MessageQuery(folderID: inbox), from: nil, limit: 1_000).rows.allSatisfy(\.isRead))
        #expect(try cache.folders().first { $0.id == inbox }?.unreadCount == 0)

        // Moves keep both folders' counts in step; a message missing from the cache is skipped.
        let moved = try cache.applyLocally([(.move(to: archive), MessageID("m1")), (.move(to: archive), MessageID("m2")),
                                            (.move(to: archive), MessageID("not-cached"))])
        #expect(counter.commits == 2)
        #expect(moved.map { $0?.folderID } == [inbox, inbox, nil])
        let folders = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id, $0) })
        #expect(folders[inbox]?.totalCount == 998 && folders[archive]?.totalCount == 2)
    }

    @Test func aThousandActionsAreOneOutboxTransactionAndCoalesceAsOne() throws {
        let store = try ActionStore.inMemory()
        let counter = CommitCounter()
        store.writer.add(transactionObserver: counter, extent: .observerLifetime)
        let ids = (0..<1_000).map { MessageID("m\($0)") }
        let appended = try store.append(ids.map { NewAction(.markRead(true), on: $0, undo: .markRead(false)) })
        #expect(counter.commits == 1)
        #expect(appended.compactMap { $0 }.count == 1_000)
        #expect(try store.pending().map(\.messageID) == ids)
        // The opposite bulk action, made before any was sent, cancels every one of them, except
        // the ones on the wire, which are never rewritten.
        let sending = Set(appended.prefix(20).compactMap { $0?.sequence })
        let undone = try store.append(ids.map { NewAction(.markRead(false), on: $0, undo: .markRead(true)) }, sending: sending)
        #expect(counter.commits == 2)
        #expect(undone.compactMap { $0 }.count == 20)
        #expect(try store.count == 40)
        #expect(try store.pending().prefix(20).map(\.sequence) == appended.prefix(20).compactMap { $0?.sequence })
        try store.remove(sending)
        try store.recordAttempts(undone.compactMap { $0?.sequence })
        try store.recordFailures(undone.prefix(3).compactMap { $0?.sequence })
        #expect(counter.commits == 5)
        let left = try store.pending()
        #expect(left.count == 20 && left.allSatisfy { $0.action == .markRead(false) })
        #expect(left.map(\.attempts).prefix(4) == [2, 2, 2, 1])
        #expect(left.map(\.failures).prefix(4) == [1, 1, 1, 0])
    }

    @Test func anOutboxWrittenByTheFirstVersionStillOpensAndDecodes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("otter-outbox-\(UUID().uuidString)/pending.sqlite")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The schema and JSON exactly as the first outbox wrote them, before sends existed.
        do {
            let queue = try DatabaseQueue(path: url.path)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    CREATE TABLE action (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT, messageId TEXT NOT NULL, kind TEXT NOT NULL,
                        action TEXT NOT NULL, undo TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, createdAt DOUBLE NOT NULL);
                    CREATE INDEX action_by_message ON action(messageId, kind);
                    INSERT INTO action (messageId, kind, action, undo, attempts, createdAt) VALUES
                        ('m1', 'read', '{"markRead":{"_0":true}}', '{"markRead":{"_0":false}}', 2, 0),
                        ('m2', 'flag', '{"flag":{"_0":"complete"}}', '{"flag":{"_0":"notFlagged"}}', 0, 0),
                        ('m3', 'move', '{"move":{"to":{"rawValue":"archive-id"}}}', '{"move":{"to":{"rawValue":"inbox-id"}}}', 0, 0);
                    """)
            }
        }
        let store = try ActionStore.open(at: url)
        let pending = try store.pending()
        #expect(pending.map(\.action) == [.markRead(true), .flag(.complete), .move(to: archive)])
        #expect(pending.map(\.undo) == [.markRead(false), .flag(.notFlagged), .move(to: inbox)])
        #expect(pending.map(\.attempts) == [2, 0, 0] && pending.allSatisfy { $0.failures == 0 })
        // A send is stored beside them and reads back.
        try store.append(.send(sentItems: FolderID("sent-id")), on: MessageID("m4"), undo: .move(to: FolderID("drafts-id")))
        #expect(try ActionStore.open(at: url).pending().last?.action == .send(sentItems: FolderID("sent-id")))
    }
}
