import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// The sync engine against the in-process emulator over real HTTP on 127.0.0.1.
@Suite struct SyncTests {
    static let token = "sync-test-token"

    struct Fixture {
        let server: GraphEmulatorServer
        let mailbox: Mailbox
        let graph: GraphClient
        let cache: MailCache
        let service: MailService

        static func start(messages: Int, seed: UInt64 = 11, pageSize: Int = 1000) async throws -> Fixture {
            let mailbox = Mailbox(messageCount: messages, seed: seed)
            let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
            let base = try await server.start()
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                    tokenProvider: { SyncTests.token })
            let cache = try MailCache.inMemory()
            return Fixture(server: server, mailbox: mailbox, graph: graph, cache: cache,
                           service: try MailService(graph: graph, cache: cache))
        }

        /// The cache's view of every message: immutable id → (folder name path, read, subject).
        func cachedMessages() throws -> [String: String] {
            let folders = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id, $0.displayName) })
            var result: [String: String] = [:]
            for folder in try cache.folders() {
                let window = try cache.window(MessageQuery(folderID: folder.id), from: nil, limit: 1_000_000)
                for m in window.rows { result[m.id.rawValue] = "\(folders[m.folderID] ?? "?")|\(m.isRead)|\(m.subject)" }
            }
            return result
        }

        /// The same view computed from the emulator's own state.
        func serverMessages() async -> [String: String] {
            let snapshot = await mailbox.snapshot()
            let names = Dictionary(uniqueKeysWithValues: snapshot.folders.map { ($0.id, $0.displayName) })
            var result: [String: String] = [:]
            let visible = Set(snapshot.folders.filter { !$0.isHidden }.map(\.id))
            for m in snapshot.messages where visible.contains(m.parentFolderID) { result[m.immutableID] = "\(names[m.parentFolderID] ?? "?")|\(m.isRead)|\(m.subject)" }
            return result
        }
    }

    @Test func initialSyncMirrorsTheMailbox() async throws {
        let f = try await Fixture.start(messages: 1_500)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()

        let snapshot = await f.mailbox.snapshot()
        let cachedFolders = try f.cache.folders()
        // Folder delta leaves hidden folders out, as listing does.
        let visible = snapshot.folders.filter { !$0.isHidden }
        #expect(Set(cachedFolders.map(\.id.rawValue)) == Set(visible.map(\.id)))
        for folder in visible {
            let cached = try #require(cachedFolders.first { $0.id.rawValue == folder.id })
            #expect(cached.displayName == folder.displayName && cached.parentID?.rawValue == folder.parentFolderID)
        }
        for name in ["inbox", "sentitems", "drafts", "deleteditems", "archive"] {
            let wellKnown = try #require(WellKnownFolder(rawValue: name))
            #expect(try f.cache.folder(wellKnown: wellKnown)?.id.rawValue == snapshot.folder(wellKnownName: name)?.id)
        }
        #expect(try f.cachedMessages() == (await f.serverMessages()))
        for folder in cachedFolders {
            #expect(try f.cache.cursor(scope: SyncCursor.messageScope(folder.id))?.roundComplete == true)
        }
    }

    @Test func incrementalSyncAppliesChangesMovesDeletesAndNewMail() async throws {
        let f = try await Fixture.start(messages: 400)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let inboxMessages = snapshot.messages(inFolder: inbox.id)
        let read = inboxMessages[0], moved = inboxMessages[1], deleted = inboxMessages[2]

        // Fetch the moved message's body first: a move must keep it.
        let body = try await f.service.content(for: MessageID(moved.immutableID))
        _ = try await f.mailbox.markRead(id: read.id, !read.isRead)
        _ = try await f.mailbox.move(id: moved.id, to: "archive")
        try await f.mailbox.delete(id: deleted.id)
        let arrived = try await f.mailbox.deliver(NewMessage(
            subject: "Fresh news", from: .init(name: "Dana", address: "dana@contoso.com"),
            body: .init(contentType: .text, content: "new")))

        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
        let movedRow = try #require(try f.cache.message(MessageID(moved.immutableID)))
        #expect(movedRow.folderID.rawValue == snapshot.folder(wellKnownName: "archive")?.id)
        #expect(try f.cache.content(for: MessageID(moved.immutableID)) == body)
        #expect(try f.cache.message(MessageID(arrived.immutableID))?.subject == "Fresh news")
    }

    @Test func anExpiredDeltaTokenResyncsThatFolderOnly() async throws {
        let f = try await Fixture.start(messages: 300)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let inbox = try #require(try f.cache.folder(wellKnown: .inbox))
        let archive = try #require(try f.cache.folder(wellKnown: .archive))
        let archiveCursor = try f.cache.cursor(scope: SyncCursor.messageScope(archive.id))
        // A token the server never issued, on the right host: Graph answers 410 SyncStateNotFound.
        let stale = f.graph.configuration.baseURL.absoluteString
            + "/me/mailFolders/\(inbox.id.rawValue)/messages/delta?$deltatoken=expired-generation"
        try f.cache.applyMessagePage(folderID: inbox.id, changes: [], removed: [],
                                     cursor: SyncCursor(link: stale, roundComplete: true))
        let before = try f.cachedMessages()
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == before)
        let newCursor = try #require(try f.cache.cursor(scope: SyncCursor.messageScope(inbox.id)))
        #expect(newCursor.roundComplete && newCursor.link != stale)
        #expect(try f.cache.cursor(scope: SyncCursor.messageScope(archive.id)) == archiveCursor)
    }

    @Test func aResyncPrunesWhatTheServerNoLongerListsButKeepsPendingActions() async throws {
        let f = try await Fixture.start(messages: 300)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let inbox = try #require(try f.cache.folder(wellKnown: .inbox))
        let snapshot = await f.mailbox.snapshot()
        let inboxMessages = snapshot.messages(inFolder: inbox.id.rawValue)
        let gone = inboxMessages[inboxMessages.count - 1], goneButPending = inboxMessages[inboxMessages.count - 2]
        // Gone for good on the server; the delta token expires too, so the next round starts
        // from scratch and simply does not list them.
        try await f.mailbox.permanentlyDelete(id: gone.id)
        try await f.mailbox.permanentlyDelete(id: goneButPending.id)
        let stale = f.graph.configuration.baseURL.absoluteString
            + "/me/mailFolders/\(inbox.id.rawValue)/messages/delta?$deltatoken=expired-generation"
        try f.cache.applyMessagePage(folderID: inbox.id, changes: [], removed: [], cursor: SyncCursor(link: stale, roundComplete: true))
        // An action the user took on one of them, made while offline, is still waiting; the
        // row stays until the outbox resolves it.
        let store = try ActionStore.inMemory()
        let offlineGraph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:1/v1.0")!,
                                                                             requestTimeout: .seconds(2)),
                                       tokenProvider: { "x" }, retry: .none)
        let offline = try MailService(graph: offlineGraph, cache: f.cache, actions: store)
        try await offline.perform(.flag(.flagged), on: [MessageID(goneButPending.immutableID)])
        await offline.replayPending()
        #expect(offline.pendingActionCount == 1)
        let online = try MailService(graph: f.graph, cache: f.cache, actions: store)
        try await online.syncAll()
        #expect(try f.cache.message(MessageID(gone.immutableID)) == nil)
        #expect(try f.cache.message(MessageID(goneButPending.immutableID))?.flag == .flagged)
        // Replayed, the server answers 404: the action is dropped and the message leaves the cache.
        await online.replayPending()
        #expect(online.pendingActionCount == 0)
        #expect(try f.cache.message(MessageID(goneButPending.immutableID)) == nil)
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }

    @Test func bodiesComeAsTextAndAreCachedAfterTheFirstFetch() async throws {
        let f = try await Fixture.start(messages: 200)
        try await f.service.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let html = try #require(snapshot.messages.first { $0.body.contentType == .html })
        let content = try await f.service.content(for: MessageID(html.immutableID))
        #expect(content.format == .text)
        #expect(!content.body.contains("<div") && !content.body.isEmpty)
        #expect(content.toRecipients.map(\.address) == html.toRecipients.map(\.address))
        // With the server gone, the cached body is still there.
        await f.server.stop()
        #expect(try await f.service.content(for: MessageID(html.immutableID)) == content)
    }

    @Test func aWrongTokenIsAnAuthenticationErrorNotADeltaReset() async throws {
        let mailbox = Mailbox(messageCount: 10, seed: 1)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: ["right"])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { "wrong" })
        let service = try MailService(graph: graph, cache: try MailCache.inMemory())
        await #expect {
            try await service.syncAll()
        } throws: { error in
            guard let graphError = error as? GraphError else { return false }
            return graphError.status == 401 && graphError.code == "InvalidAuthenticationToken" && !graphError.requiresDeltaReset
        }
    }
}

@Suite struct GraphClientTests {
    @Test func linksToAnotherHostAreRefused() async throws {
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:9/v1.0")!),
                                tokenProvider: { "t" })
        for link in ["https://evil.example.com/v1.0/me/mailFolders/delta?$skiptoken=x",
                     "http://127.0.0.1:10/v1.0/me", "https://127.0.0.1:9/v1.0/me"] {
            await #expect {
                let _: GraphPage<GraphMailFolder> = try await graph.get(link: link, path: "")
            } throws: { error in
                if case .untrustedLink = error as? GraphError { return true }
                return false
            }
        }
    }

    @Test func everyRequestAsksForImmutableIdsAndPagingWalksEveryFolder() async throws {
        let mailbox = Mailbox(messageCount: 50, seed: 2)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: ["t"])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { "t" })
        var link: String?
        var ids: [String] = []
        repeat {
            let page = try await graph.folderDelta(link: link, maxPageSize: 3)
            ids += page.value.compactMap(\.id)
            link = page.nextLink
        } while link != nil
        let snapshot = await mailbox.snapshot()
        #expect(Set(ids) == Set(snapshot.folders.filter { !$0.isHidden }.map(\.id)))
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let page = try await graph.messageDelta(folderID: inbox.id, link: nil, select: ["id", "subject"], maxPageSize: 5)
        let immutable = Set(snapshot.messages(inFolder: inbox.id).map(\.immutableID))
        #expect(!page.value.isEmpty && page.value.allSatisfy { immutable.contains($0.id ?? "") })
    }
}

@Suite struct SyncRoundTests {
    @Test func overlappingSyncCallsDoNotRunTwoRoundsSideBySide() async throws {
        let f = try await SyncTests.Fixture.start(messages: 300)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let requestsForOneRound: Int
        do {
            let before = f.graph.traffic.requests
            try await f.service.syncAll()
            requestsForOneRound = f.graph.traffic.requests - before
        }
        // Three calls at once: one round runs, the others ask it to go once more — two rounds in all.
        let before = f.graph.traffic.requests
        async let a: Void = f.service.syncAll()
        async let b: Void = f.service.syncAll()
        async let c: Void = f.service.syncAll()
        _ = try await (a, b, c)
        #expect(f.graph.traffic.requests - before == 2 * requestsForOneRound)
    }

    @Test func progressCountsFoldersMessagesAndBytes() async throws {
        let f = try await SyncTests.Fixture.start(messages: 500)
        defer { Task { await f.server.stop() } }
        var iterator = f.service.progress.makeAsyncIterator()
        try await f.service.syncAll()
        var last = SyncProgress()
        while let p = await iterator.next() {
            last = p
            if p.foldersDone == p.foldersTotal && p.foldersTotal > 0 { break }
        }
        #expect(last.messages == last.expectedMessages && last.messages > 400)
        #expect(last.bytes > 0 && last.requests > 0)
    }
}
