import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// The outbox against the emulator: actions show at once, survive restarts and outages, reach
/// the server exactly once in effect, and are undone when the server refuses them for good.
@Suite struct OutboxTests {
    typealias Fixture = SyncTests.Fixture

    func firstUnreadInboxMessage(_ f: Fixture) async throws -> EmulatedMessage {
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        return try #require(snapshot.messages(inFolder: inbox.id).first { !$0.isRead })
    }

    @Test func anActionShowsAtOnceAndReachesTheServer() async throws {
        let f = try await Fixture.start(messages: 200)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let message = try await firstUnreadInboxMessage(f)
        let id = MessageID(message.immutableID)
        try await f.service.perform(.markRead(true), on: [id])
        #expect(try f.cache.message(id)?.isRead == true)           // before any request
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try await f.mailbox.message(id: message.id).isRead)
    }

    @Test func movesAreCheckedBeforeSendingSoAReplayNeverMovesTwice() async throws {
        let f = try await Fixture.start(messages: 200)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let message = try await firstUnreadInboxMessage(f)
        let id = MessageID(message.immutableID)
        try await f.service.move([id], to: .archive)
        let archive = try #require(try f.cache.folder(wellKnown: .archive))
        #expect(try f.cache.message(id)?.folderID == archive.id)
        await f.service.replayPending()
        #expect(try await f.mailbox.message(id: message.immutableID).parentFolderID == archive.id.rawValue)
        // A crash after the move but before the outbox forgot it: the same action again. The
        // check finds the message already there, so the only request is that check.
        try await f.service.perform(.move(to: archive.id), on: [id])
        let before = f.graph.traffic.requests
        await f.service.replayPending()
        #expect(f.graph.traffic.requests - before <= 1)
        #expect(f.service.pendingActionCount == 0)
        try await f.service.syncAll()
        #expect(try await f.mailbox.message(id: message.immutableID).parentFolderID == archive.id.rawValue)
        #expect(try f.cache.message(id)?.folderID == archive.id)
    }

    @Test func actionsSurviveARestartAndAnOutageThenReplayInOrder() async throws {
        let f = try await Fixture.start(messages: 200)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let message = try await firstUnreadInboxMessage(f)
        let id = MessageID(message.immutableID)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-outbox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let storeURL = dir.appendingPathComponent("pending.sqlite")

        // An Otter that cannot reach the server: the action waits, and the screen shows it.
        do {
            let offlineGraph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:1/v1.0")!,
                                                                                 requestTimeout: .seconds(2)),
                                           tokenProvider: { SyncTests.token }, retry: .none)
            let offline = try MailService(graph: offlineGraph, cache: f.cache, actions: try ActionStore.open(at: storeURL))
            try await offline.perform(.markRead(true), on: [id])
            try await offline.perform(.flag(.flagged), on: [id])
            await offline.replayPending()
            #expect(offline.pendingActionCount == 2)
            #expect(try f.cache.message(id)?.isRead == true && f.cache.message(id)?.flag == .flagged)
        }
        // The next start, same outbox file, server reachable. Its first sync brings the server's
        // older state of the message (changed elsewhere meanwhile); the pending actions stay on top.
        let restarted = try MailService(graph: f.graph, cache: f.cache, actions: try ActionStore.open(at: storeURL))
        _ = try await f.mailbox.update(id: message.id) { $0.subject = "changed elsewhere" }
        try await restarted.syncAll()
        #expect(try f.cache.message(id)?.isRead == true && f.cache.message(id)?.subject == "changed elsewhere")
        #expect(try f.cache.message(id)?.flag == .flagged)
        await restarted.replayPending()
        #expect(restarted.pendingActionCount == 0)
        let server = try await f.mailbox.message(id: message.id)
        #expect(server.isRead && server.flag.status == .flagged)
    }

    @Test func aPermanentRefusalOfAMissingMessageRemovesItAndSaysSo() async throws {
        let f = try await Fixture.start(messages: 200)
        defer { Task { await f.server.stop() } }
        try await f.service.syncAll()
        let message = try await firstUnreadInboxMessage(f)
        let id = MessageID(message.immutableID)
        var activity = f.service.activity.makeAsyncIterator()
        try await f.mailbox.permanentlyDelete(id: message.id)        // gone before our action arrives
        try await f.service.perform(.markRead(true), on: [id])
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try f.cache.message(id) == nil)                      // the server says it is gone
        var said: String?
        while let value = await activity.next() {
            if case .actionFailed(let message) = value { said = message; break }
        }
        #expect(said?.hasPrefix("marking as read failed and was undone") == true)
    }
}
