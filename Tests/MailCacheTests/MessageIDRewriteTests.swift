import Foundation
import GRDB
@testable import MailCache
import MailCore
import Testing

/// The cache's half of the id migration: the meta record, chunks in row order, and rewrites
/// that carry everything keyed by a message's id along, idempotently.
@Suite struct MessageIDRewriteTests {
    let inbox = FolderID("inbox-id")
    let archive = FolderID("archive-id")

    func change(_ id: String, _ n: Int) -> EnvelopeChange {
        EnvelopeChange(id: MessageID(id), subject: "Subject \(n)", from: EmailAddress(name: "S", address: "s@example.com"),
                       receivedAt: Date(timeIntervalSince1970: Double(1_700_000_000 + n * 60)), isRead: false,
                       flag: .notFlagged, hasAttachments: false, importance: .normal, inferenceClassification: .focused,
                       bodyPreview: "preview \(n)")
    }

    /// Regular-looking ids r0…r(n-1) in the Inbox, a body for r1, cursors for both folders.
    func filledCache(count: Int = 10) throws -> MailCache {
        let cache = try MailCache.inMemory()
        try cache.applyFolderPage(upserts: [Folder(id: inbox, parentID: nil, displayName: "Inbox"),
                                            Folder(id: archive, parentID: nil, displayName: "Archive")],
                                  removed: [], cursor: SyncCursor(link: "folders-delta", roundComplete: true))
        try cache.applyMessagePage(folderID: inbox, changes: (0..<count).map { change("r\($0)", $0) }, removed: [],
                                   cursor: SyncCursor(link: "inbox-delta", roundComplete: true))
        try cache.applyMessagePage(folderID: archive, changes: [], removed: [],
                                   cursor: SyncCursor(link: "archive-delta", roundComplete: true))
        try cache.storeContent(MessageContent(messageID: MessageID("r1"), format: .text, body: "body one",
                                              toRecipients: [EmailAddress(name: "T", address: "t@example.com")],
                                              attachments: [AttachmentInfo(id: "r1-att", name: "a.pdf", contentType: nil, size: 3,
                                                                           isInline: false, kind: .file)]))
        return cache
    }

    @Test func theMetaTableKeepsValuesAndTheKindIsUnrecordedInANewCache() throws {
        let cache = try MailCache.inMemory()
        #expect(try cache.messageIDKind() == nil)
        try cache.setMetaValue("x", forKey: "k")
        try cache.setMetaValue("y", forKey: "k")
        #expect(try cache.metaValue("k") == "y")
        try cache.setMetaValue(nil, forKey: "k")
        #expect(try cache.metaValue("k") == nil)
        try cache.recordMessageIDKind(.regular)
        #expect(try cache.messageIDKind() == .regular)
        try cache.finishMessageIDMigration()
        #expect(try cache.messageIDKind() == .immutable)
    }

    @Test func aRewriteMovesTheRowItsBodyAndItsLocalStateAndDropsWhatIsGone() throws {
        let cache = try filledCache()
        try cache.applyLocally(.flag(.flagged), to: MessageID("r2"))
        let before = try #require(try cache.message(MessageID("r1")))

        let result = try cache.rewriteMessageIDs([MessageID("r1"): MessageID("i1"), MessageID("r2"): MessageID("i2")],
                                                 dropping: [MessageID("r3")], throughRow: 5)
        #expect(result == MessageIDRewrite(renamed: 2, dropped: 1, foldersRestarted: 0))
        #expect(try cache.message(MessageID("r1")) == nil && cache.content(for: MessageID("r1")) == nil)
        var renamed = before
        renamed.id = MessageID("i1")
        #expect(try cache.message(MessageID("i1")) == renamed)
        let body = try #require(try cache.content(for: MessageID("i1")))
        #expect(body.body == "body one" && body.toRecipients.map(\.address) == ["t@example.com"])
        // Attachment ids extend the message id: the list is fetched again under the new one.
        #expect(body.attachments == nil)
        #expect(try cache.message(MessageID("i2"))?.flag == .flagged)
        #expect(try cache.message(MessageID("r3")) == nil)
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 9)
        // Cursors stay: delta links work with both kinds of id.
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox))?.link == "inbox-delta")
        #expect(try cache.messageIDMigrationInProgress())
        #expect(try cache.messageIDKind() == nil)
        // The search index (keyed by rowid, kept by triggers) still matches the rows and bodies.
        #expect(try cache.searchIndexIsConsistent())
    }

    @Test func aRewriteAppliedTwiceChangesNothingTheSecondTime() throws {
        let cache = try filledCache()
        let renames = [MessageID("r1"): MessageID("i1"), MessageID("r4"): MessageID("i4")]
        try cache.rewriteMessageIDs(renames, dropping: [MessageID("r5")], throughRow: 6)
        let rows = try cache.window(MessageQuery(folderID: inbox), from: nil, limit: 100)
        let again = try cache.rewriteMessageIDs(renames, dropping: [MessageID("r5")], throughRow: 3)
        #expect(again == MessageIDRewrite())
        #expect(try cache.window(MessageQuery(folderID: inbox), from: nil, limit: 100) == rows)
        #expect(try cache.content(for: MessageID("i1"))?.body == "body one")
        // Progress never goes back.
        #expect(try cache.messageIDMigrationProgress().done == 6 - 1)
    }

    @Test func chunksComeInRowOrderAndProgressIsKeptWithTheRewrite() throws {
        let cache = try filledCache(count: 25)
        let first = try #require(try cache.messageIDsToMigrate(limit: 10))
        #expect(first.ids == (0..<10).map { MessageID("r\($0)") })
        try cache.rewriteMessageIDs(Dictionary(uniqueKeysWithValues: first.ids.map { ($0, MessageID("i" + $0.rawValue.dropFirst())) }),
                                    dropping: [], throughRow: first.throughRow)
        // Renamed rows keep their rowid, so the next chunk starts after them.
        let second = try #require(try cache.messageIDsToMigrate(limit: 10))
        #expect(second.ids == (10..<20).map { MessageID("r\($0)") })
        let progress = try cache.messageIDMigrationProgress()
        #expect(progress.done == 10 && progress.total == 25)
        try cache.rewriteMessageIDs([:], dropping: [], throughRow: second.throughRow)
        let third = try #require(try cache.messageIDsToMigrate(limit: 10))
        #expect(third.ids.count == 5)
        try cache.rewriteMessageIDs([:], dropping: [], throughRow: third.throughRow)
        #expect(try cache.messageIDsToMigrate(limit: 10) == nil)
        try cache.finishMessageIDMigration()
        #expect(try !cache.messageIDMigrationInProgress())
    }

    @Test func aTableThatRefersToMessagesIsRewrittenWithoutBeingNamed() throws {
        let cache = try filledCache()
        // As a later migration might add (attachment files, say).
        try cache.write { db in
            try db.execute(sql: """
                CREATE TABLE savedFile (messageId TEXT NOT NULL REFERENCES message(id) ON DELETE CASCADE, name TEXT NOT NULL);
                INSERT INTO savedFile VALUES ('r1', 'a.pdf'), ('r1', 'b.pdf'), ('r3', 'c.pdf'), ('r6', 'd.pdf');
                """)
        }
        try cache.rewriteMessageIDs([MessageID("r1"): MessageID("i1")], dropping: [MessageID("r3")], throughRow: nil)
        let files = try cache.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT messageId, name FROM savedFile ORDER BY name").map { "\($0[0] as String)/\($0[1] as String)" }
        }
        #expect(files == ["i1/a.pdf", "i1/b.pdf", "r6/d.pdf"])
        let violations = try cache.writer.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        #expect(violations.isEmpty)
    }

    @Test func aMessageCachedUnderBothIdsBecomesOneRowAndItsFolderIsListedAgain() throws {
        let cache = try filledCache()
        // The same message, cached by a client of the other kind under its immutable id, in Archive.
        try cache.applyMessagePage(folderID: archive, changes: [change("i2", 2)], removed: [], cursor: nil)
        try cache.storeContent(MessageContent(messageID: MessageID("i2"), format: .text, body: "body two"))
        let result = try cache.rewriteMessageIDs([MessageID("r2"): MessageID("i2")], dropping: [], throughRow: nil)
        #expect(result.renamed == 1 && result.foldersRestarted == 2)
        #expect(try cache.message(MessageID("r2")) == nil)
        #expect(try cache.message(MessageID("i2"))?.folderID == inbox)
        #expect(try cache.content(for: MessageID("i2"))?.body == "body two")
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox)) == nil)
        #expect(try cache.cursor(scope: SyncCursor.messageScope(archive)) == nil)
        #expect(try cache.cursor(scope: SyncCursor.folderScope) != nil)
        #expect(try cache.searchIndexIsConsistent())
    }

    @Test func handingTheCacheToAClientOfTheOtherKindListsEveryFolderAgain() throws {
        let cache = try filledCache()
        try cache.rewriteMessageIDs([:], dropping: [], throughRow: 3)
        try cache.recordMessageIDKind(.regular, restartingMessageDelta: true)
        #expect(try cache.messageIDKind() == .regular)
        #expect(try !cache.messageIDMigrationInProgress())
        #expect(try cache.cursor(scope: SyncCursor.messageScope(inbox)) == nil)
        #expect(try cache.cursor(scope: SyncCursor.messageScope(archive)) == nil)
        #expect(try cache.cursor(scope: SyncCursor.folderScope)?.link == "folders-delta")
        #expect(try cache.messageCount(in: MessageQuery(folderID: inbox)) == 10)
    }

    @Test func existingIdsAreFoundInLargeSets() throws {
        let cache = try filledCache(count: 1_200)
        let asked = Set((0..<1_300).map { MessageID("r\($0)") })
        #expect(try cache.existingMessageIDs(asked) == Set((0..<1_200).map { MessageID("r\($0)") }))
    }
}

@Suite struct ActionStoreIDTests {
    @Test func pendingActionsFollowTheirMessagesNewIdsInOrder() throws {
        let store = try ActionStore.inMemory()
        try store.append(.markRead(true), on: MessageID("r1"), undo: .markRead(false))
        try store.append(.move(to: FolderID("archive")), on: MessageID("r2"), undo: .move(to: FolderID("inbox")))
        try store.append(.flag(.flagged), on: MessageID("r1"), undo: .flag(.notFlagged))
        try store.append(.flag(.complete), on: MessageID("r3"), undo: .flag(.notFlagged))
        #expect(try store.messageIDs() == [MessageID("r1"), MessageID("r2"), MessageID("r3")])
        let before = try store.pending()

        let renames = [MessageID("r1"): MessageID("i1"), MessageID("r2"): MessageID("i2"), MessageID("r9"): MessageID("i9")]
        #expect(try store.rewriteMessageIDs(renames) == 3)
        let after = try store.pending()
        #expect(after.map(\.messageID) == [MessageID("i1"), MessageID("i2"), MessageID("i1"), MessageID("r3")])
        #expect(after.map(\.sequence) == before.map(\.sequence))
        #expect(after.map(\.action) == before.map(\.action) && after.map(\.undo) == before.map(\.undo))
        #expect(try store.rewriteMessageIDs(renames) == 0)
        // Coalescing goes on under the new id.
        #expect(try store.append(.markRead(false), on: MessageID("i1"), undo: .markRead(true)) == nil)
    }
}
