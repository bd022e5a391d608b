import Foundation
@testable import MailCache
import MailCore
import Testing

@Suite struct MailCacheTests {
    let inbox = FolderID("inbox-id")
    let archive = FolderID("archive-id")

    func change(_ n: Int, classification: InboxTab = .focused, read: Bool = false) -> EnvelopeChange {
        EnvelopeChange(id: MessageID("m\(n)"), subject: "Subject \(n)", from: EmailAddress(name: "Sender \(n)", address: "s\(n)@example.com"),
                       receivedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + n * 60)), isRead: read,
                       flag: .notFlagged, hasAttachments: false, importance: .normal, inferenceClassification: classification,
                       bodyPreview: "preview \(n)")
    }

    func filledCache(count: Int) throws -> MailCache {
        let cache = try MailCache.inMemory()
        try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox"),
                                            Folder(id: archive, parentID: nil, displayName: "Archive")],
                                  removed: [], cursor: nil)
        try cache.applyMessagePage(folderID: inbox, changes: (0..<count).map { change($0, classification: $0 % 5 == 0 ? .other : .focused) },
                                   removed: [], cursor: SyncCursor(link: "next-1", roundComplete: false))
        return cache
    }

    @Test func windowIsNewestFirstAndKeysetPagesAreContiguous() throws {
        let cache = try filledCache(count: 500)
        let query = MessageQuery(folderID: inbox)
        let first = try cache.window(query, from: nil, limit: 50)
        #expect(first.total == 500 && first.startIndex == 0)
        #expect(first.rows.map(\.subject).prefix(3) == ["Subject 499", "Subject 498", "Subject 497"])
        // The next page anchored at row 50's key continues exactly where the first stopped.
        let anchor = try #require(try cache.key(query, atOffset: 50))
        let second = try cache.window(query, from: anchor, limit: 50)
        #expect(second.startIndex == 50)
        #expect(second.rows.first?.subject == "Subject 449")
        // Rows just above an anchor come back in list order.
        let above = try cache.rows(query, before: anchor, limit: 3)
        #expect(above.map(\.subject) == ["Subject 452", "Subject 451", "Subject 450"])
        #expect(try cache.key(query, atOffset: 500) == nil)
    }

    @Test func tabsFilterByClassification() throws {
        let cache = try filledCache(count: 100)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox, tab: .other)) == 20)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox, tab: .focused)) == 80)
        let other = try cache.window(MessageQuery(folderID: inbox, tab: .other), from: nil, limit: 5)
        #expect(other.rows.allSatisfy { $0.inferenceClassification == .other })
    }

    @Test func pagesAreIdempotentAndPartialUpdatesMerge() throws {
        let cache = try filledCache(count: 10)
        // A replayed page changes nothing.
        try cache.applyMessagePage(folderID: inbox, changes: (0..<10).map { change($0) }, removed: [], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 10)
        // A delta update carrying only isRead keeps every other field.
        try cache.applyMessagePage(folderID: inbox, changes: [EnvelopeChange(id: MessageID("m3"), isRead: true)], removed: [], cursor: nil)
        let m3 = try #require(try cache.message(MessageID("m3")))
        #expect(m3.isRead && m3.subject == "Subject 3" && m3.from?.address == "s3@example.com")
    }

    @Test func aMoveKeepsTheRowAndTheSourceRemovalDoesNotDeleteIt() throws {
        let cache = try filledCache(count: 5)
        try cache.storeContent(MessageContent(messageID: MessageID("m2"), format: .text, body: "kept body"))
        // The destination's delta arrives first with the same immutable id…
        try cache.applyMessagePage(folderID: archive, changes: [EnvelopeChange(id: MessageID("m2"))], removed: [], cursor: nil)
        // …then the source folder reports it removed.
        try cache.applyMessagePage(folderID: inbox, changes: [], removed: [MessageID("m2")], cursor: nil)
        let moved = try #require(try cache.message(MessageID("m2")))
        #expect(moved.folderID == archive && moved.subject == "Subject 2")
        #expect(try cache.content(for: MessageID("m2"))?.body == "kept body")
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 4)
        // A removal in the folder that holds it takes it out of the list at once…
        try cache.applyMessagePage(folderID: archive, changes: [], removed: [MessageID("m2")], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: archive)) == 0)
        // …and the end of the round deletes it, body included, as nobody claimed it.
        #expect(try cache.purgeOrphans() == 1)
        #expect(try cache.message(MessageID("m2")) == nil)
        #expect(try cache.content(for: MessageID("m2")) == nil)
    }

    @Test func aMoveSeenSourceFirstKeepsTheRowAndBody() throws {
        let cache = try filledCache(count: 5)
        try cache.storeContent(MessageContent(messageID: MessageID("m4"), format: .text, body: "kept"))
        // The source folder is synced first: its @removed cannot tell a move from a deletion.
        try cache.applyMessagePage(folderID: inbox, changes: [], removed: [MessageID("m4")], cursor: nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 4)
        try cache.applyMessagePage(folderID: archive, changes: [EnvelopeChange(id: MessageID("m4"), isRead: true)],
                                   removed: [], cursor: nil)
        #expect(try cache.purgeOrphans() == 0)
        let moved = try #require(try cache.message(MessageID("m4")))
        #expect(moved.folderID == archive && moved.subject == "Subject 4" && moved.isRead)
        #expect(try cache.content(for: MessageID("m4"))?.body == "kept")
    }

    @Test func cursorIsStoredWithItsPage() throws {
        let cache = try filledCache(count: 3)
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox)) == SyncCursor(link: "next-1", roundComplete: false))
        try cache.applyMessagePage(folderID: inbox, changes: [], removed: [], cursor: SyncCursor(link: "delta-1", roundComplete: true))
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox))?.roundComplete == true)
    }

    @Test func wellKnownMappingSurvivesFolderUpdates() throws {
        let cache = try filledCache(count: 0)
        try cache.setWellKnown(.inbox, folderID: inbox)
        try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox", unreadCount: 7)],
                                  removed: [], cursor: nil)
        let folder = try #require(try cache.folder(wellKnown: .inbox))
        #expect(folder.id == inbox && folder.unreadCount == 7)
    }

    @Test func observedWindowFollowsWrites() async throws {
        let cache = try filledCache(count: 3)
        let stream = cache.observeWindow(MessageQuery(folderID: inbox), from: nil, limit: 10)
        var iterator = stream.makeAsyncIterator()
        let initial = try #require(await iterator.next())
        #expect(initial.total == 3)
        try cache.applyMessagePage(folderID: inbox, changes: [change(100)], removed: [], cursor: nil)
        var latest = initial
        while latest.total != 4 { latest = try #require(await iterator.next()) }
        #expect(latest.rows.first?.subject == "Subject 100")
    }

    @Test func onDiskCacheReopensWithItsData() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cache.sqlite")
        do {
            let cache = try MailCache.open(at: url)
            try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox")], removed: [], cursor: nil)
            try cache.applyMessagePage(folderID: inbox, changes: [change(1)], removed: [], cursor: nil)
        }
        let reopened = try MailCache.open(at: url)
        #expect(try reopened.messageCount(in: MessageQuery(folderID: inbox)) == 1)
    }
}

@Suite struct CacheLockTests {
    @Test func aSecondOwnerIsRefusedUntilTheFirstCloses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cache.sqlite")
        var first: MailCache? = try MailCache.open(at: url, exclusive: true)
        #expect(first != nil)
        #expect {
            _ = try MailCache.open(at: url, exclusive: true)
        } throws: { error in
            guard let held = error as? CacheLock.Held else { return false }
            // flock is per open file description, so the same process is refused too, and is named.
            return held.ownerPID == getpid() && held.description.contains("another otter")
        }
        first = nil
        _ = try MailCache.open(at: url, exclusive: true)
    }
}

@Suite struct CacheRecoveryTests {
    func tempURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("otter-recovery-\(UUID().uuidString)/cache.sqlite")
    }

    @Test func aCorruptFileIsMovedAsideAndAFreshCacheCreated() throws {
        let url = tempURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 8192).write(to: url)
        let cache = try MailCache.open(at: url)
        #expect(cache.openingNotice?.contains("rebuilt from the server") == true)
        #expect(try cache.folders().isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(files.contains { $0.hasPrefix("cache.sqlite.corrupt-") })
    }

    @Test func aCacheFromANewerOtterIsRefused() throws {
        let url = tempURL()
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            let cache = try MailCache.open(at: url)
            try cache.recordForeignMigration("v99-from-the-future")
        }
        #expect(throws: MailCacheError.self) { _ = try MailCache.open(at: url) }
    }
}
