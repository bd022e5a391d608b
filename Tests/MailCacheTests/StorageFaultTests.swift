import Foundation
import GRDB
@testable import MailCache
import MailCore
import Testing
import TestSupport

/// A full disk, a read-only cache and a file system without WAL, produced for real: SQLite
/// itself returns SQLITE_FULL / SQLITE_READONLY / no WAL, through the same open and write paths
/// the app uses. (Tests run as root here, which chmod does not stop; see `Unwritable`.)
@Suite struct StorageFaultTests {
    let inbox = FolderID("inbox-id")

    func change(_ n: Int) -> EnvelopeChange {
        EnvelopeChange(id: MessageID("m\(n)"), subject: "Subject \(n) " + String(repeating: "x", count: 200),
                       from: EmailAddress(name: "Sender \(n)", address: "s\(n)@example.com"),
                       receivedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + n * 60)), isRead: false,
                       flag: .notFlagged, hasAttachments: false, importance: .normal, inferenceClassification: .focused,
                       bodyPreview: String(repeating: "preview \(n) ", count: 20))
    }

    /// A cache at `url` with the Inbox, messages 0..<count and the body of m0.
    func fill(_ cache: MailCache, count: Int) throws {
        try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox")], removed: [], cursor: nil)
        try cache.applyMessagePage(folderID: inbox, changes: (0..<count).map(change), removed: [],
                                   cursor: SyncCursor(link: "delta-1", roundComplete: true))
        try cache.storeContent(MessageContent(messageID: MessageID("m0"), format: .text, body: "the cached body"))
    }

    /// What the app reads to paint the list and the reader.
    func expectReadable(_ cache: MailCache, count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let window = try cache.window(MessageQuery(folderID: inbox), from: nil, limit: 10)
        #expect(window.total == count, sourceLocation: sourceLocation)
        #expect(window.rows.first?.id == MessageID("m\(count - 1)"), sourceLocation: sourceLocation)
        #expect(try cache.content(for: MessageID("m0"))?.body == "the cached body", sourceLocation: sourceLocation)
    }

    func temporaryCacheURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("otter-storage-\(UUID().uuidString)/cache.sqlite")
    }

    func journalMode(_ cache: MailCache) throws -> String? {
        try cache.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
    }

    // MARK: Disk full

    @Test func aFullDiskFailsWritesWithAClearErrorWhileReadsGoOn() throws {
        let url = temporaryCacheURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let cache = try MailCache.open(at: url, exclusive: true)
        try fill(cache, count: 20)
        // SQLite's page limit makes it answer SQLITE_FULL exactly as when the disk has no room.
        let pages = try cache.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try cache.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        #expect(throws: MailCacheError.diskFull(.cache, path: url.path)) {
            try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        }
        try expectReadable(cache, count: 20)
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox))?.link == "delta-1")   // nothing half-written
        // Space comes back: the same cache writes again, no restart needed.
        try cache.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1000000") }
        try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 320)
    }

    @Test(.enabled(if: ScratchFileSystem.isAvailable, "needs mount (root)"))
    func aReallyFullFileSystemIsTheSameClearError() throws {
        let fs = try ScratchFileSystem(kilobytes: 1024)
        defer { fs.remove() }
        let url = fs.url.appendingPathComponent("otter/cache.sqlite")
        let cache = try MailCache.open(at: url, exclusive: true)
        try fill(cache, count: 20)
        // Whatever is left is taken by another file, as a download filling the disk would.
        let filler = fs.url.appendingPathComponent("filler")
        fs.fill(filler)
        #expect(throws: MailCacheError.diskFull(.cache, path: url.path)) {
            try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        }
        try expectReadable(cache, count: 20)
        try FileManager.default.removeItem(at: filler)
        try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 320)
    }

    @Test(.enabled(if: ScratchFileSystem.isAvailable, "needs mount (root)"))
    func aCacheThatCannotBeCreatedOnAFullDiskSaysSo() throws {
        let fs = try ScratchFileSystem(kilobytes: 256)
        defer { fs.remove() }
        fs.fill(fs.url.appendingPathComponent("filler"))
        let url = fs.url.appendingPathComponent("otter/cache.sqlite")
        #expect(throws: MailCacheError.cannotPrepare(.diskFull, path: url.path)) {
            _ = try MailCache.open(at: url, exclusive: true)
        }
    }

    @Test(.enabled(if: ScratchFileSystem.isAvailable, "needs mount (root)"))
    func aCacheOnADiskThatFilledUpOpensAndWritesAgainOnceThereIsRoom() throws {
        let fs = try ScratchFileSystem(kilobytes: 1024)
        defer { fs.remove() }
        let url = fs.url.appendingPathComponent("otter/cache.sqlite")
        do { try fill(try MailCache.open(at: url, exclusive: true), count: 40) }
        let filler = fs.url.appendingPathComponent("filler")
        fs.fill(filler)
        // No room even for WAL's -shm file: SQLite cannot open it the usual way.
        let cache = try MailCache.open(at: url, exclusive: true)
        #expect(!cache.isReadOnly)
        #expect(cache.openingNotice == MailCacheError.diskFull(.cache, path: url.path).description)
        try expectReadable(cache, count: 40)
        #expect(throws: MailCacheError.diskFull(.cache, path: url.path)) {
            try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        }
        try FileManager.default.removeItem(at: filler)
        try cache.applyMessagePage(folderID: inbox, changes: (100..<400).map(change), removed: [], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 340)
    }

    // MARK: Read-only

    @Test func aCacheThatTurnsReadOnlyWhileOpenFailsWritesClearly() throws {
        let url = temporaryCacheURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let cache = try MailCache.open(at: url)
        try fill(cache, count: 5)
        // query_only makes SQLite refuse writes with SQLITE_READONLY, as after a remount read-only.
        try cache.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        #expect(throws: MailCacheError.readOnly(.cache, path: url.path)) {
            try cache.applyLocally(.markRead(true), to: MessageID("m1"))
        }
        try expectReadable(cache, count: 5)
    }

    @Test func aCacheFileThisProcessMayNotWriteOpensForReadingWithANotice() throws {
        let url = temporaryCacheURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do { try fill(try MailCache.open(at: url, exclusive: true), count: 30) }
        let restore = try Unwritable.make(url.path)
        do {
            defer { restore() }
            let cache = try MailCache.open(at: url, exclusive: true)
            #expect(cache.isReadOnly)
            #expect(cache.openingNotice == MailCacheError.readOnly(.cache, path: url.path).description)
            try expectReadable(cache, count: 30)
            #expect(throws: MailCacheError.readOnly(.cache, path: url.path)) {
                try cache.applyMessagePage(folderID: inbox, changes: [change(99)], removed: [], cursor: nil)
            }
        }
        // Made writable again, the cache is as it was: nothing switched it away from WAL.
        let reopened = try MailCache.open(at: url, exclusive: true)
        #expect(!reopened.isReadOnly && reopened.openingNotice == nil)
        #expect(try journalMode(reopened) == "wal")
        try reopened.applyMessagePage(folderID: inbox, changes: [change(30)], removed: [], cursor: nil)
        try expectReadable(reopened, count: 31)
    }

    @Test(.enabled(if: ScratchFileSystem.isAvailable, "needs mount (root)"))
    func aCacheOnAReadOnlyFileSystemOpensForReading() throws {
        let fs = try ScratchFileSystem(kilobytes: 2048)
        defer { fs.remove() }
        let url = fs.url.appendingPathComponent("otter/cache.sqlite")
        // Closed cleanly first, so its -wal and -shm files are gone, as on a snapshot or an old disk.
        do { try fill(try MailCache.open(at: url, exclusive: true), count: 40) }
        #expect(!FileManager.default.fileExists(atPath: url.path + "-shm"))
        try fs.remountReadOnly()
        let cache = try MailCache.open(at: url, exclusive: true)
        #expect(cache.isReadOnly)
        #expect(cache.openingNotice?.contains("cannot be written") == true)
        try expectReadable(cache, count: 40)
        #expect(throws: MailCacheError.readOnly(.cache, path: url.path)) {
            try cache.storeContent(MessageContent(messageID: MessageID("m1"), format: .text, body: "new"))
        }
        // Still one owner: a second process would be told.
        #expect(throws: CacheLock.Held.self) { _ = try MailCache.open(at: url, exclusive: true) }
    }

    @Test func aReadOnlyCacheThatNeedsAnUpdateIsRefusedClearly() throws {
        let url = temporaryCacheURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        // A cache from before this version's last migration, as an older Otter left it.
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: url.path)
            try Schema.migrator.migrate(old, upTo: "v1")
        }
        let restore = try Unwritable.make(url.path)
        defer { restore() }
        #expect(throws: MailCacheError.cannotPrepare(.readOnly, path: url.path)) {
            _ = try MailCache.open(at: url, exclusive: true)
        }
    }

    // MARK: No WAL

    @Test func withoutWALARollbackJournalServesSyncAndReads() async throws {
        let url = temporaryCacheURL()
        let dir = url.deletingLastPathComponent()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // SQLite's unix-none VFS has no shared memory, like file systems where WAL cannot work.
        let cache = try MailCache(try MailCache.connect(path: "file:\(url.path)?vfs=unix-none"))
        // The URI was understood: the database is the file itself, not one named "file:…".
        try #require(FileManager.default.fileExists(atPath: url.path))
        #expect(try journalMode(cache) == "delete")
        #expect(cache.walUnavailableReason?.contains("WAL") == true)
        #expect(!cache.isReadOnly)

        let window = cache.observeWindow(MessageQuery(folderID: inbox), from: nil, limit: 10)
        var updates = window.makeAsyncIterator()
        try fill(cache, count: 25)
        try expectReadable(cache, count: 25)
        var latest = try #require(await updates.next())
        while latest.total != 25 { latest = try #require(await updates.next()) }
        #expect(latest.rows.first?.id == MessageID("m24"))
        #expect(!FileManager.default.fileExists(atPath: url.path + "-wal"))
    }

    // MARK: The outbox

    @Test func aFullOrReadOnlyOutboxRefusesTheActionAndRecordsNothing() throws {
        let url = temporaryCacheURL().deletingLastPathComponent().appendingPathComponent("pending.sqlite")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let store = try ActionStore.open(at: url)
        try store.append(.markRead(true), on: MessageID("m1"), undo: .markRead(false))
        let pages = try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        let many = (0..<400).map { NewAction(.flag(.flagged), on: MessageID("bulk-\($0)"), undo: .flag(.notFlagged)) }
        #expect(throws: MailCacheError.diskFull(.outbox, path: url.path)) { try store.append(many) }
        #expect(try store.count == 1)
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        #expect(throws: MailCacheError.readOnly(.outbox, path: url.path)) {
            try store.append(.markRead(true), on: MessageID("m2"), undo: .markRead(false))
        }
        #expect(try store.pending().map(\.messageID) == [MessageID("m1")])
    }

    @Test func descriptionsSayWhatHappenedWhatStillWorksAndWhatToDo() {
        let full = MailCacheError.diskFull(.cache, path: "/home/u/.cache/otter/a/cache.sqlite").description
        #expect(full.contains("/home/u/.cache/otter/a/cache.sqlite") && full.contains("full")
                && full.contains("can still be read") && full.contains("Free some space"))
        let readOnly = MailCacheError.readOnly(.cache, path: nil).description
        #expect(readOnly.contains("cannot be written") && readOnly.contains("can still be read") && readOnly.contains("writable"))
        // A status line shows the start: what happened comes before the file's name.
        #expect(full.hasPrefix("the disk holding the mail cache is full"))
        let outbox = MailCacheError.diskFull(.outbox, path: nil).description
        #expect(outbox.contains("changes nothing") && outbox.contains("try again"))
        #expect(MailCacheError.diskFull(.cache, path: nil).cacheProblem == .diskFull)
        #expect(MailCacheError.readOnly(.outbox, path: nil).cacheProblem == nil)
    }
}
