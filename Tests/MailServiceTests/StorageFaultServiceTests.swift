import Foundation
import GRDB
import GraphAPI
import GraphEmulator
import Logging
@testable import MailCache
import MailCore
import MailService
import Synchronization
import Testing
import TestSupport

/// The service on a cache that cannot be written (a full disk, a read-only file) and on an
/// outbox that cannot be written, against the emulator over HTTP. The conditions are real: a
/// full tmpfs, or SQLite's own limits (`PRAGMA max_page_count` answers SQLITE_FULL as a full
/// disk does once a write needs a new page, `PRAGMA query_only` SQLITE_READONLY), so the code
/// under test takes its real paths.
@Suite struct StorageFaultServiceTests {
    struct Fixture {
        let server: GraphEmulatorServer
        let mailbox: Mailbox
        let cache: MailCache
        let actions: ActionStore
        let service: MailService
        let directory: URL
        var outboxURL: URL { directory.appendingPathComponent("pending.sqlite") }

        /// `cacheDirectory`: where the cache lives (a scratch file system), else a temporary folder.
        static func start(messages: Int = 150, cacheDirectory: URL? = nil) async throws -> Fixture {
            let mailbox = Mailbox(messageCount: messages, seed: 31)
            let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
            let base = try await server.start()
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                    tokenProvider: { SyncTests.token })
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-storage-\(UUID().uuidString)")
            let cache = try MailCache.open(at: (cacheDirectory ?? directory).appendingPathComponent("cache.sqlite"),
                                           exclusive: true)
            let actions = try ActionStore.open(at: directory.appendingPathComponent("pending.sqlite"))
            return Fixture(server: server, mailbox: mailbox, cache: cache, actions: actions,
                           service: try MailService(graph: graph, cache: cache, actions: actions), directory: directory)
        }

        func stop() async {
            await server.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        /// No room for anything more: SQLite's page limit set to what the file holds now.
        func fillDisk(of writer: any DatabaseWriter) throws {
            let pages = try writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        }

        func freeDisk(of writer: any DatabaseWriter) throws {
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        }

        func unreadInboxMessages() async throws -> [EmulatedMessage] {
            let snapshot = await mailbox.snapshot()
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            return snapshot.messages(inFolder: inbox.id).filter { !$0.isRead }
        }
    }

    @Test(.enabled(if: ScratchFileSystem.isAvailable, "needs mount (root)"))
    func aFullCacheStopsSyncClearlyWhileReadingAndActionsGoOn() async throws {
        let fs = try ScratchFileSystem(kilobytes: 4096)
        defer { fs.remove() }
        let f = try await Fixture.start(cacheDirectory: fs.url)
        defer { Task { await f.stop() } }
        let cacheURL = fs.url.appendingPathComponent("cache.sqlite")
        try await f.service.syncAll()
        let unread = try await f.unreadInboxMessages()
        let (acted, uncached) = (unread[0], unread[1])
        let inbox = try #require(try f.cache.folder(wellKnown: .inbox))
        let listed = try f.service.window(MessageQuery(folderID: inbox.id), from: nil, limit: 50)
        _ = try await f.mailbox.deliver(NewMessage(subject: "arrives while the disk is full",
                                                   from: .init(name: "Dana", address: "dana@contoso.com"),
                                                   body: .init(contentType: .text, content: "hello")))
        let activity = ActivityRecorder(f.service.activity)
        let filler = fs.url.appendingPathComponent("filler")
        fs.fill(filler)

        // The round ends with the typed error (what `otter sync` prints) and the status says it.
        await #expect(throws: MailCacheError.diskFull(.cache, path: cacheURL.path)) { try await f.service.syncAll() }
        #expect(await activity.wait { $0 == .cacheUnwritable(.diskFull, pending: 0) })
        // What is cached still reads, unchanged.
        #expect(try f.service.window(MessageQuery(folderID: inbox.id), from: nil, limit: 50) == listed)

        // An action is kept in the outbox (its own file) and reaches the server; the list
        // cannot show it until the cache can be written, and the status line says so.
        try await f.service.perform(.markRead(true), on: [MessageID(acted.immutableID)])
        #expect(await activity.wait { $0 == .cacheUnwritable(.diskFull, pending: 1) })
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try await f.mailbox.message(id: acted.id).isRead)

        // A body not cached yet is fetched and shown all the same; it just is not kept.
        let content = try await f.service.content(for: MessageID(uncached.immutableID))
        #expect(!content.body.isEmpty)
        #expect(try f.cache.content(for: MessageID(uncached.immutableID)) == nil)

        // Room again: the next round catches up by itself, action and new mail included.
        try FileManager.default.removeItem(at: filler)
        try await f.service.syncAll()
        #expect(try f.cache.message(MessageID(acted.immutableID))?.isRead == true)
        let after = try f.service.window(MessageQuery(folderID: inbox.id), from: nil, limit: 500)
        #expect(after.rows.contains { $0.subject == "arrives while the disk is full" })
    }

    @Test func aReadOnlyCacheKeepsActionsGoingOut() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        try await f.service.syncAll()
        let message = try #require(try await f.unreadInboxMessages().first)
        try await f.cache.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        let activity = ActivityRecorder(f.service.activity)
        try await f.service.perform(.flag(.flagged), on: [MessageID(message.immutableID)])
        #expect(await activity.wait { $0 == .cacheUnwritable(.readOnly, pending: 1) })
        await f.service.replayPending()
        #expect(try await f.mailbox.message(id: message.id).flag.status == .flagged)
        // A refusal would change the cache too (the message leaves it): the outbox must not
        // wait for that, or the action would be sent again and again.
        let gone = try #require(try await f.unreadInboxMessages().first { $0.id != message.id })
        try await f.mailbox.permanentlyDelete(id: gone.id)
        try await f.service.perform(.markRead(true), on: [MessageID(gone.immutableID)])
        let refused = await f.service.replayPending()
        #expect(refused?.hasPrefix("marking as read failed and was undone") == true)
        #expect(f.service.pendingActionCount == 0)
        let cachePath = f.directory.appendingPathComponent("cache.sqlite").path
        await #expect(throws: MailCacheError.readOnly(.cache, path: cachePath)) { try await f.service.syncAll() }
    }

    @Test func anOutboxThatCannotBeWrittenRefusesTheActionVisiblyAndChangesNothing() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        try await f.service.syncAll()
        let unread = try await f.unreadInboxMessages()
        let ids = unread.map { MessageID($0.immutableID) }
        // Full: a bulk action on many messages needs room the outbox does not have.
        try f.fillDisk(of: f.actions.writer)
        await #expect(throws: MailCacheError.diskFull(.outbox, path: f.outboxURL.path)) {
            try await f.service.perform(.markRead(true), on: ids)
        }
        // Read-only: even one action cannot be recorded.
        try f.freeDisk(of: f.actions.writer)
        try await f.actions.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        await #expect(throws: MailCacheError.readOnly(.outbox, path: f.outboxURL.path)) {
            try await f.service.perform(.markRead(true), on: [ids[0]])
        }
        // Refused means refused: not on screen, not queued, not sent.
        #expect(try ids.allSatisfy { try f.cache.message($0)?.isRead == false })
        #expect(f.service.pendingActionCount == 0)
        await f.service.replayPending()
        #expect(try await f.mailbox.message(id: unread[0].id).isRead == false)
    }

    @Test func aCacheWithoutWALSaysWhyInTheLogAndSyncs() async throws {
        let mailbox = Mailbox(messageCount: 120, seed: 32)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { SyncTests.token })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-nowal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // SQLite's unix-none VFS has no shared memory, like a file system where WAL cannot work.
        let path = directory.appendingPathComponent("cache.sqlite").path
        let cache = try MailCache(try MailCache.connect(path: "file:\(path)?vfs=unix-none"))
        try #require(FileManager.default.fileExists(atPath: path))
        let log = CapturedLog()
        let service = try MailService(graph: graph, cache: cache, logger: Logger(label: "test") { _ in log })
        #expect(log.lines.contains { $0.contains("rollback journal") && $0.contains("WAL") })
        try await service.syncAll()
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let window = try service.window(MessageQuery(folderID: FolderID(inbox.id)), from: nil, limit: 1000)
        #expect(window.total == snapshot.messages(inFolder: inbox.id).count && window.total > 0)
        #expect(try await cache.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "delete")
    }
}

/// Every status the service reports, kept so a test can wait for one (with a timeout).
final class ActivityRecorder: Sendable {
    private final class Seen: Sendable {
        let values = Mutex<[SyncActivity]>([])
    }
    private let seen: Seen
    private let task: Task<Void, Never>

    init(_ activity: AsyncStream<SyncActivity>) {
        let seen = Seen()
        self.seen = seen
        task = Task { for await value in activity { seen.values.withLock { $0.append(value) } } }
    }

    deinit { task.cancel() }

    /// Whether a status matching `condition` arrives within `timeout`.
    func wait(timeout: Duration = .seconds(10), for condition: (SyncActivity) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if seen.values.withLock({ $0.contains(where: condition) }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

/// Log lines kept in memory, to check what the service says in the log.
final class CapturedLog: LogHandler, Sendable {
    private let stored = Mutex<[String]>([])
    var lines: [String] { stored.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        stored.withLock { $0.append("\(event.level) \(event.message)") }
    }
}
