import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// A cache of regular message ids (written without `Prefer: IdType="ImmutableId"`) migrated to
/// immutable ids with `translateExchangeIds`, against the in-process emulator.
@Suite struct IDMigrationTests {
    static let token = "id-migration-token"
    static let translate = "POST /me/translateExchangeIds"
    static let messageDelta = "GET /me/mailFolders/{id}/messages/delta"

    struct Fixture {
        let server: GraphEmulatorServer
        let mailbox: Mailbox
        let base: URL
        let cache: MailCache
        let outbox: ActionStore

        static func start(messages: Int, seed: UInt64 = 21) async throws -> Fixture {
            let mailbox = Mailbox(messageCount: messages, seed: seed)
            let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [IDMigrationTests.token])
            let base = try await server.start()
            return Fixture(server: server, mailbox: mailbox, base: base.appendingPathComponent("v1.0"),
                           cache: try MailCache.inMemory(), outbox: try ActionStore.inMemory())
        }

        func graph(immutableIDs: Bool) throws -> GraphClient {
            GraphClient(configuration: try GraphConfiguration(baseURL: base, immutableIDs: immutableIDs),
                        tokenProvider: { IDMigrationTests.token })
        }

        /// A service on the shared cache and outbox; `immutableIDs: false` is an older Otter.
        func service(immutableIDs: Bool) throws -> MailService {
            try MailService(graph: try graph(immutableIDs: immutableIDs), cache: cache, actions: outbox)
        }

        /// A service that cannot reach the server, so the actions it takes stay pending.
        func offlineService() throws -> MailService {
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:1/v1.0")!,
                                                                          requestTimeout: .seconds(2), immutableIDs: false),
                                    tokenProvider: { "x" }, retry: .none)
            return try MailService(graph: graph, cache: cache, actions: outbox)
        }

        /// Every listed message in the cache: id → folder|read|flag|subject.
        func cacheView() throws -> [String: String] {
            let names = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id.rawValue, $0.displayName) })
            var view: [String: String] = [:]
            for folder in try cache.folders() {
                for m in try cache.window(MessageQuery(folderID: folder.id), from: nil, limit: 1_000_000).rows {
                    view[m.id.rawValue] = "\(names[m.folderID.rawValue] ?? "?")|\(m.isRead)|\(m.flag.rawValue)|\(m.subject)"
                }
            }
            return view
        }

        /// The same from the emulator's own state, under regular or immutable ids.
        func serverView(immutable: Bool) async -> [String: String] {
            let snapshot = await mailbox.snapshot()
            let names = Dictionary(uniqueKeysWithValues: snapshot.folders.map { ($0.id, $0.displayName) })
            let visible = Set(snapshot.folders.filter { !$0.isHidden }.map(\.id))
            var view: [String: String] = [:]
            for m in snapshot.messages where visible.contains(m.parentFolderID) {
                view[immutable ? m.immutableID : m.id] = "\(names[m.parentFolderID] ?? "?")|\(m.isRead)|\(m.flag.status.rawValue)|\(m.subject)"
            }
            return view
        }

        /// A view's value with some fields changed (folder|read|flag|subject).
        static func edit(_ value: String?, folder: String? = nil, read: Bool? = nil, flag: FlagStatus? = nil) -> String? {
            guard let value else { return nil }
            var fields = value.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            if let folder { fields[0] = folder }
            if let read { fields[1] = String(read) }
            if let flag { fields[2] = flag.rawValue }
            return fields.joined(separator: "|")
        }

        /// Rows in the cache, listed or not.
        func rowCount() throws -> Int { try cache.messageIDMigrationProgress().total }

        /// Requests per endpoint template and status since `before`.
        func requests(since before: [String: [Int: Int]]) -> [String: [Int: Int]] {
            var result: [String: [Int: Int]] = [:]
            for (template, statuses) in server.requestCounts() {
                for (status, count) in statuses where count - (before[template]?[status] ?? 0) > 0 {
                    result[template, default: [:]][status] = count - (before[template]?[status] ?? 0)
                }
            }
            return result
        }
    }

    @Test func aRegularIDCacheIsMigratedInChunksOfAThousandAndTheDeltaGoesOn() async throws {
        let f = try await Fixture.start(messages: 2_500)
        defer { Task { await f.server.stop() } }
        let older = try f.service(immutableIDs: false)
        try await older.syncAll()
        #expect(try f.cache.messageIDKind() == .regular)
        #expect(try f.cacheView() == (await f.serverView(immutable: false)))
        let rows = try f.rowCount()
        #expect(rows >= 2_000)

        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let archive = try #require(snapshot.folder(wellKnownName: "archive"))
        let inboxMessages = snapshot.messages(inFolder: inbox.id)
        let (withBody, flagged, moved) = (inboxMessages[0], inboxMessages[1], inboxMessages[2])
        let body = try await older.content(for: MessageID(withBody.id))
        // Queued while offline, under regular ids.
        let offline = try f.offlineService()
        try await offline.perform(.flag(.flagged), on: [MessageID(flagged.id)])
        try await offline.perform(.move(to: FolderID(archive.id)), on: [MessageID(moved.id)])
        await offline.replayPending()
        #expect(offline.pendingActionCount == 2)
        let before = f.server.requestCounts()

        let current = try f.service(immutableIDs: true)
        try await current.syncAll()

        let used = f.requests(since: before)
        let chunks = (rows + 999) / 1000
        #expect(used[Self.translate] == [200: chunks])
        #expect(try f.cache.messageIDKind() == .immutable)
        // Every id is the emulator's immutable id; nothing was dropped or listed again: the round
        // after the migration cost one delta request per folder, on the cursors the older client stored.
        #expect(try f.rowCount() == rows)
        #expect(used[Self.messageDelta] == [200: try f.cache.folders().count])
        var expected = await f.serverView(immutable: true)
        // The pending actions are on screen already.
        expected[flagged.immutableID] = Fixture.edit(expected[flagged.immutableID], flag: .flagged)
        expected[moved.immutableID] = Fixture.edit(expected[moved.immutableID], folder: archive.displayName)
        #expect(try f.cacheView() == expected)
        // The body and the actions followed their message.
        let migratedBody = try #require(try f.cache.content(for: MessageID(withBody.immutableID)))
        #expect(migratedBody.body == body.body && migratedBody.toRecipients == body.toRecipients)
        #expect(try f.outbox.pending().map(\.messageID) == [MessageID(flagged.immutableID), MessageID(moved.immutableID)])

        await current.replayPending()
        #expect(current.pendingActionCount == 0)
        #expect(try await f.mailbox.message(id: flagged.immutableID).flag.status == .flagged)
        #expect(try await f.mailbox.message(id: moved.immutableID).parentFolderID == archive.id)

        // Later rounds: no more translation, and changes made elsewhere land on the right rows.
        let moveElsewhere = inboxMessages[3]
        let keptBody = try await current.content(for: MessageID(moveElsewhere.immutableID))
        _ = try await f.mailbox.markRead(id: inboxMessages[4].id, !inboxMessages[4].isRead)
        _ = try await f.mailbox.move(id: moveElsewhere.id, to: "archive")
        let beforeLater = f.server.requestCounts()
        try await current.syncAll()
        #expect(f.requests(since: beforeLater)[Self.translate] == nil)
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
        #expect(try f.cache.content(for: MessageID(moveElsewhere.immutableID))?.body == keptBody.body)
        #expect(try f.rowCount() == rows)
    }

    @Test func anInterruptedMigrationResumesWithTheChunkAfterTheLastOneWritten() async throws {
        let f = try await Fixture.start(messages: 2_500, seed: 22)
        defer { Task { await f.server.stop() } }
        try await f.service(immutableIDs: false).syncAll()
        let rows = try f.rowCount()
        let snapshot = await f.mailbox.snapshot()
        let immutableByRegular = Dictionary(uniqueKeysWithValues: snapshot.messages.map { ($0.id, $0.immutableID) })
        let immutableIDs = Set(immutableByRegular.values)
        let offline = try f.offlineService()
        let early = try #require(try f.cacheView().keys.min())
        try await offline.perform(.flag(.flagged), on: [MessageID(early)])
        await offline.replayPending()

        // The second translate request fails: the first chunk is written, the rest is not.
        f.server.installFaults(try FaultSchedule(spec: "POST translateExchangeIds:500:nth=2:count=1"))
        let before = f.server.requestCounts()
        let current = try f.service(immutableIDs: true)
        await #expect(throws: GraphError.self) { try await current.syncAll() }
        #expect(try f.cache.messageIDKind() == .regular)
        let progress = try f.cache.messageIDMigrationProgress()
        #expect(progress.done == 1_000 && progress.total == rows)
        let halfway = try f.cacheView().keys
        #expect(halfway.filter { immutableIDs.contains($0) }.count == 1_000)
        #expect(halfway.filter { immutableByRegular[$0] != nil }.count == rows - 1_000)

        // An action taken meanwhile on a message not migrated yet; and as if the process had
        // died between the outbox's transaction and the cache's, it already has its new id.
        let late = try #require(halfway.filter { immutableByRegular[$0] != nil }.min())
        let lateID = try #require(immutableByRegular[late])
        try await offline.perform(.flag(.flagged), on: [MessageID(late)])
        await offline.replayPending()
        try f.outbox.rewriteMessageIDs([MessageID(late): MessageID(lateID)])

        try await current.syncAll()
        let used = f.requests(since: before)
        // One successful request per chunk: the first chunk was not asked again.
        #expect(used[Self.translate] == [200: (rows + 999) / 1000, 500: 1])
        #expect(try f.cache.messageIDKind() == .immutable)
        let earlyID = try #require(immutableByRegular[early])
        #expect(try f.outbox.pending().map(\.messageID) == [MessageID(earlyID), MessageID(lateID)])
        var expected = await f.serverView(immutable: true)
        for id in [earlyID, lateID] { expected[id] = Fixture.edit(expected[id], flag: .flagged) }
        #expect(try f.cacheView() == expected)
        #expect(try f.rowCount() == rows)
    }

    /// Offline at start, the migration fails; the poll's next sync of the folder on screen must
    /// migrate first, or its delta would write immutable ids beside the regular ones.
    @Test func aMigrationThatFailedAtStartRunsBeforeThePollSyncsTheFolderOnScreen() async throws {
        let f = try await Fixture.start(messages: 300, seed: 24)
        defer { Task { await f.server.stop() } }
        try await f.service(immutableIDs: false).syncAll()
        let rows = try f.rowCount()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let changed = snapshot.messages(inFolder: inbox.id)[0]
        _ = try await f.mailbox.markRead(id: changed.id, !changed.isRead)   // elsewhere, meanwhile

        // The migration at the poll's start and the one of its first round both fail.
        f.server.installFaults(try FaultSchedule(spec: "POST translateExchangeIds:500:count=2"))
        let current = try f.service(immutableIDs: true)
        await current.setActiveFolder(FolderID(inbox.id))
        let polling = Task { await current.poll(every: .seconds(3_600), activeFolderEvery: .milliseconds(50)) }
        defer { polling.cancel() }
        let expected = try #require(await f.serverView(immutable: true)[changed.immutableID])
        let deadline = ContinuousClock.now + .seconds(30)
        while try f.cacheView()[changed.immutableID] != expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        polling.cancel()
        #expect(try f.cache.messageIDKind() == .immutable)
        #expect(try f.rowCount() == rows)
        let inboxView = try f.cacheView().filter { $0.value.hasPrefix(inbox.displayName + "|") }
        let serverInbox = await f.serverView(immutable: true).filter { $0.value.hasPrefix(inbox.displayName + "|") }
        #expect(inboxView == serverInbox)
    }

    /// An id Exchange fails to translate for another reason than "not found" (a busy server)
    /// is not taken for gone: the migration stops and the next attempt finishes it.
    @Test func anIDThatFailsForAnotherReasonIsNotTakenForGone() async throws {
        let f = try await Fixture.start(messages: 300, seed: 25)
        defer { Task { await f.server.stop() } }
        try await f.service(immutableIDs: false).syncAll()
        let rows = try f.rowCount()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let deleted = snapshot.messages(inFolder: inbox.id)[0]
        try await f.mailbox.permanentlyDelete(id: deleted.id)
        // Both questions about the deleted message's id come back with another error code.
        f.server.installFaults(try FaultSchedule(spec: #"POST translateExchangeIds:malformed=code="ErrorServerBusy":count=2"#))

        let current = try f.service(immutableIDs: true)
        await #expect(throws: GraphError.self) { try await current.migrateMessageIDsIfNeeded() }
        #expect(try f.cache.messageIDKind() == .regular)
        #expect(try f.rowCount() == rows)
        #expect(try f.cache.message(MessageID(deleted.id)) != nil)

        try await current.migrateMessageIDsIfNeeded()
        #expect(try f.cache.messageIDKind() == .immutable)
        #expect(try f.rowCount() == rows - 1)
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
    }

    @Test func messagesTheServerNoLongerKnowsLeaveTheCacheOnlyAndTheirActionsAreNotLost() async throws {
        let f = try await Fixture.start(messages: 300, seed: 23)
        defer { Task { await f.server.stop() } }
        let older = try f.service(immutableIDs: false)
        try await older.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let messages = snapshot.messages(inFolder: inbox.id)
        let (deleted, movedAway, deletedWithAction) = (messages[0], messages[1], messages[2])
        let offline = try f.offlineService()
        try await offline.perform(.flag(.flagged), on: [MessageID(deletedWithAction.id)])
        await offline.replayPending()
        // Changed elsewhere after the older client's last sync: a regular id names a message in
        // one folder, so the moved one's old id is as unknown as the deleted ones'.
        try await f.mailbox.permanentlyDelete(id: deleted.id)
        try await f.mailbox.permanentlyDelete(id: deletedWithAction.id)
        _ = try await f.mailbox.move(id: movedAway.id, to: "archive")
        let before = f.server.requestCounts()

        let current = try f.service(immutableIDs: true)
        try await current.migrateMessageIDsIfNeeded()
        let used = f.requests(since: before)
        // One request for the chunk, one to check the three it could not translate.
        #expect(used[Self.translate] == [200: 2])
        #expect(!used.keys.contains { $0.contains("DELETE") || $0.contains("permanentDelete") || $0.contains("/move") })
        for gone in [deleted, movedAway, deletedWithAction] {
            #expect(try f.cache.message(MessageID(gone.id)) == nil)
            #expect(try f.cache.message(MessageID(gone.immutableID)) == nil)
        }
        // The action stays under the id it was made with; the replay meets the refusal.
        #expect(try f.outbox.pending().map(\.messageID) == [MessageID(deletedWithAction.id)])

        try await current.syncAll()
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
        #expect(try f.cache.message(MessageID(movedAway.immutableID))?.folderID.rawValue == snapshot.folder(wellKnownName: "archive")?.id)
        await current.replayPending()
        #expect(current.pendingActionCount == 0)
    }

    @Test func aCacheWithoutARecordIsCheckedAndNothingIsDropped() async throws {
        // A cache written before the record existed, by a build that did send the header.
        let f = try await Fixture.start(messages: 1_200, seed: 24)
        defer { Task { await f.server.stop() } }
        let current = try f.service(immutableIDs: true)
        try await current.syncAll()
        let rows = try f.rowCount()
        let view = try f.cacheView()
        try f.cache.setMetaValue(nil, forKey: MessageIDKind.metaKey)
        let before = f.server.requestCounts()

        try await current.syncAll()
        let chunks = (rows + 999) / 1000
        // Not regular ids after all: each chunk is asked once as regular ids and once as immutable ones.
        #expect(f.requests(since: before)[Self.translate] == [200: 2 * chunks])
        #expect(try f.cache.messageIDKind() == .immutable)
        #expect(try f.rowCount() == rows)
        #expect(try f.cacheView() == view)
    }

    @Test func aNewCacheRecordsItsKindWithoutAnyRequest() async throws {
        let f = try await Fixture.start(messages: 60, seed: 25)
        defer { Task { await f.server.stop() } }
        #expect(try f.cache.messageIDKind() == nil)
        try await f.service(immutableIDs: true).syncAll()
        #expect(try f.cache.messageIDKind() == .immutable)
        #expect(f.server.requestCounts()[Self.translate] == nil)
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
    }

    @Test func switchingToRegularIDsAndBackEndsEqualToTheServerEachTime() async throws {
        let f = try await Fixture.start(messages: 300, seed: 26)
        defer { Task { await f.server.stop() } }
        try await f.service(immutableIDs: true).syncAll()
        let rows = try f.rowCount()

        // Taken over by a client without the header: every folder is listed again under regular
        // ids and the immutable rows are pruned, so no message is cached twice.
        try await f.service(immutableIDs: false).syncAll()
        #expect(try f.cache.messageIDKind() == .regular)
        #expect(try f.cacheView() == (await f.serverView(immutable: false)))
        #expect(try f.rowCount() == rows)

        try await f.service(immutableIDs: true).syncAll()
        #expect(try f.cache.messageIDKind() == .immutable)
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
        #expect(try f.rowCount() == rows)
    }

    @Test func concurrentCallersShareOneMigration() async throws {
        let f = try await Fixture.start(messages: 1_500, seed: 27)
        defer { Task { await f.server.stop() } }
        try await f.service(immutableIDs: false).syncAll()
        let before = f.server.requestCounts()
        let current = try f.service(immutableIDs: true)
        async let a: Void = current.migrateMessageIDsIfNeeded()
        async let b: Void = current.migrateMessageIDsIfNeeded()
        async let c: Void = current.syncAll()
        _ = try await (a, b, c)
        #expect(f.requests(since: before)[Self.translate] == [200: 2])
        #expect(try f.cacheView() == (await f.serverView(immutable: true)))
    }
}
