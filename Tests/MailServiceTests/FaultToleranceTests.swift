import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// The service against an emulator that misbehaves on purpose (its fault schedule), over HTTP.
@Suite struct FaultToleranceTests {
    typealias Fixture = SyncTests.Fixture

    func fixture(messages: Int, faults spec: String, retry: RetryPolicy = RetryPolicy(maxAttempts: 6, baseDelay: 0.05, maxDelay: 0.5))
        async throws -> Fixture {
        let mailbox = Mailbox(messageCount: messages, seed: 11)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
        let base = try await server.start()
        await server.installFaults(try FaultSchedule(spec: spec))
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { SyncTests.token }, retry: retry)
        let cache = try MailCache.inMemory()
        return Fixture(server: server, mailbox: mailbox, graph: graph, cache: cache,
                       service: try MailService(graph: graph, cache: cache, deltaPageSize: 50))
    }

    @Test func throttlingOutagesAndBrokenResponsesDelaySyncButNeverCorruptIt() async throws {
        // 429s with Retry-After, 503s, a dropped connection, a truncated page and an HTML page.
        let f = try await fixture(messages: 400, faults: """
            seed=3;messages/delta:429x2:retry-after=1;messages/delta:503:nth=4:count=2;\
            messages/delta:reset:nth=7:count=1;messages/delta:truncate:nth=9:count=1;mailFolders/delta:html:count=1
            """)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
        // The faults did fire: the server answered 429 and 503 on the way.
        let statuses = await f.server.requestCounts().values.reduce(into: Set<Int>()) { $0.formUnion($1.keys) }
        #expect(statuses.isSuperset(of: [200, 429, 503]))
    }

    @Test func retryAfterHoldsBackTheWholeMailbox() async throws {
        let f = try await fixture(messages: 50, faults: "/me:429x1:retry-after=1")
        defer { Task { await f.server.stop() } }
        let clock = ContinuousClock()
        let started = clock.now
        // Two requests at once; only the first is told to wait, both wait.
        async let me = f.graph.me()
        async let folder = f.graph.mailFolder("inbox")
        _ = try await (me, folder)
        #expect(clock.now - started >= .seconds(1))
    }

    @Test func aForbiddenActionIsUndoneAndSaid() async throws {
        let f = try await fixture(messages: 100, faults: "PATCH messages/*:403")
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let message = try #require(snapshot.messages(inFolder: inbox.id).first { $0.flag.status == .notFlagged })
        let id = MessageID(message.immutableID)
        try await f.service.perform(.flag(.flagged), on: [id])
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try f.cache.message(id)?.flag == .notFlagged)
        #expect(try await f.mailbox.message(id: message.id).flag.status == .notFlagged)
    }

    @Test func unreachableServerLeavesActionsPendingAndSaysOffline() async throws {
        let f = try await fixture(messages: 100, faults: "PATCH messages/*:reset", retry: .none)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let message = try #require(snapshot.messages(inFolder: inbox.id).first { !$0.isRead })
        var activity = f.service.activity.makeAsyncIterator()
        try await f.service.perform(.markRead(true), on: [MessageID(message.immutableID)])
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 1)
        var offline: Int?
        while let value = await activity.next() {
            if case .offline(let pending) = value { offline = pending; break }
        }
        #expect(offline == 1)
        // The outage ends: the next replay sends it.
        await f.server.installFaults(try FaultSchedule(spec: ""))
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try await f.mailbox.message(id: message.id).isRead)
    }
}

@Suite struct DeltaReplayToleranceTests {
    @Test func replayedDeltaItemsAreHarmless() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 12)
        var configuration = GraphEmulatorConfiguration()
        configuration.deltaReplayEvery = 2
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token], configuration: configuration)
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { SyncTests.token })
        let cache = try MailCache.inMemory()
        let f = SyncTests.Fixture(server: server, mailbox: mailbox, graph: graph, cache: cache,
                                  service: try MailService(graph: graph, cache: cache, deltaPageSize: 20))
        try await f.service.syncAll()
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        for message in snapshot.messages(inFolder: inbox.id).prefix(30) {
            _ = try await mailbox.markRead(id: message.id, !message.isRead)
        }
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }
}
