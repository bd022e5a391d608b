import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// Requests a 1,000-message bulk action costs (asserted: they follow from the batch size) and how
/// long it takes against the emulator on loopback (printed for docs/PERFORMANCE.md, not asserted).
@Suite struct BulkActionFigureTests {
    @Test func aThousandMessageBulkActionCostsFiftyRequestsAndAMoveAHundred() async throws {
        let mailbox = Mailbox(messageCount: 5_000, seed: 11)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-bulk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Files, as in the app: the outbox with synchronous=FULL, the cache in WAL mode.
        let cache = try MailCache.open(at: dir.appendingPathComponent("cache.sqlite"))
        let outbox = try ActionStore.open(at: dir.appendingPathComponent("pending.sqlite"))
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { SyncTests.token })
        let service = try MailService(graph: graph, cache: cache, actions: outbox)
        try await service.syncAll()
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let ids = snapshot.messages(inFolder: inbox.id).prefix(1_000).map { MessageID($0.immutableID) }
        try #require(ids.count == 1_000)

        /// How long `action` takes to show, then to replay, and the requests the replay costs.
        func measure(_ action: () async throws -> Void) async throws -> (local: Duration, replay: Duration, requests: Int) {
            let clock = ContinuousClock()
            let requestsBefore = graph.traffic.requests
            let started = clock.now
            try await action()
            let shown = clock.now
            await service.replayPending()
            #expect(service.pendingActionCount == 0)
            return (shown - started, clock.now - shown, graph.traffic.requests - requestsBefore)
        }
        let read = try await measure { try await service.perform(.markRead(true), on: ids) }
        #expect(read.requests == 50)
        let move = try await measure { try await service.move(ids, to: .archive) }
        // 50 batches of folder checks, then 50 of moves.
        #expect(move.requests == 100)
        let archive = try #require(snapshot.folder(wellKnownName: "archive"))
        for id in ids.prefix(50) { #expect(try await mailbox.message(id: id.rawValue).parentFolderID == archive.id) }

        print("""
            bulk action on 1,000 messages (debug build, loopback emulator):
              mark read: on screen in \(read.local), replayed in \(read.replay) (\(read.requests) requests)
              move to Archive: on screen in \(move.local), replayed in \(move.replay) (\(move.requests) requests)
            """)
    }
}
