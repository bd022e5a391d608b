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
        // A message a sync removed from the cache meanwhile is left alone, and said to be.
        let removed = MessageID("removed-by-a-sync")
        #expect(try await f.service.perform(.markRead(true), on: [id, removed]) == [removed])
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
        try await f.mailbox.permanentlyDelete(id: message.id)        // gone before our action arrives
        try await f.service.perform(.markRead(true), on: [id])
        let refused = await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(try f.cache.message(id) == nil)                      // the server says it is gone
        #expect(refused?.hasPrefix("marking as read failed and was undone") == true)
        var failures = f.service.actionFailures.makeAsyncIterator()
        #expect(await failures.next() == refused)                    // the same line for the status line
    }
}

/// Bulk actions through `$batch`, their checks and failures, and sending drafts.
@Suite struct BulkOutboxTests {
    typealias Fixture = SyncTests.Fixture

    /// A service whose client retries quickly (or not at all), with a fault schedule.
    func fixture(messages: Int = 400, faults: String? = nil,
                 retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.02, maxDelay: 0.1),
                 setUp: (Mailbox) async throws -> Void = { _ in }) async throws -> Fixture {
        let mailbox = Mailbox(messageCount: messages, seed: 11)
        try await setUp(mailbox)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [SyncTests.token])
        let base = try await server.start()
        if let faults { server.installFaults(try FaultSchedule(spec: faults)) }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { SyncTests.token }, retry: retry)
        let cache = try MailCache.inMemory()
        let f = Fixture(server: server, mailbox: mailbox, graph: graph, cache: cache, service: try MailService(graph: graph, cache: cache))
        try await f.service.syncAll()
        return f
    }

    func inbox(_ f: Fixture, _ count: Int, where predicate: (EmulatedMessage) -> Bool = { _ in true }) async throws -> [EmulatedMessage] {
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let found = Array(snapshot.messages(inFolder: inbox.id).filter(predicate).prefix(count))
        try #require(found.count == count, "the mailbox has too few such messages")
        return found
    }

    /// Requests the server counted since `before`, for one endpoint template.
    func counted(_ f: Fixture, _ key: String, since before: [String: [Int: Int]]) -> [Int: Int] {
        var result = f.server.requestCounts()[key] ?? [:]
        for (status, count) in before[key] ?? [:] { result[status, default: 0] -= count }
        return result.filter { $0.value != 0 }
    }

    /// The newest status line about refused actions.
    func refusalNotice(_ f: Fixture) async -> String? {
        var failures = f.service.actionFailures.makeAsyncIterator()
        return await failures.next()
    }

    /// A draft from the owner to the owner, so a send that happened twice shows as two copies in the Inbox.
    static func addDraft(_ mailbox: Mailbox, subject: String) async throws -> EmulatedMessage {
        let owner = EmulatedMessage.Recipient(name: mailbox.owner.displayName, address: mailbox.owner.address)
        let delivered = try await mailbox.deliver(NewMessage(subject: subject, from: owner, toRecipients: [owner],
                                                             body: .init(contentType: .text, content: "draft body"), isRead: true),
                                                  to: "drafts")
        return try await mailbox.update(id: delivered.id) { $0.isDraft = true }
    }

    func inboxCopies(_ f: Fixture, subject: String) async throws -> Int {
        let snapshot = await f.mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        return snapshot.messages(inFolder: inbox.id).filter { $0.subject == subject }.count
    }

    // MARK: Bulk actions

    @Test func aBulkActionIsOneChangeOnScreenAndGoesTwentyPerBatch() async throws {
        let f = try await fixture()
        defer { Task { await f.server.stop() } }
        let messages = try await inbox(f, 45)
        let ids = messages.map { MessageID($0.immutableID) }
        let before = f.server.requestCounts()
        try await f.service.perform(.markRead(true), on: ids)
        #expect(try ids.allSatisfy { try f.cache.message($0)?.isRead == true })     // before any request
        #expect(f.service.pendingActionCount == 45)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        for message in messages { #expect(try await f.mailbox.message(id: message.id).isRead) }
        #expect(counted(f, "POST /$batch", since: before) == [200: 3])
        #expect(counted(f, "$batch PATCH /me/messages/{id}", since: before) == [200: 45])
        #expect(counted(f, "PATCH /me/messages/{id}", since: before).isEmpty)
    }

    @Test func bulkMovesAreCheckedFirstAndOnlyTheRestAreMoved() async throws {
        let f = try await fixture()
        defer { Task { await f.server.stop() } }
        let messages = try await inbox(f, 30)
        // Another client archived five of them already.
        for message in messages.prefix(5) { _ = try await f.mailbox.move(id: message.id, to: "archive") }
        let before = f.server.requestCounts()
        try await f.service.move(messages.map { MessageID($0.immutableID) }, to: .archive)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(counted(f, "$batch GET /me/messages/{id}", since: before) == [200: 30])
        #expect(counted(f, "$batch POST /me/messages/{id}/move", since: before) == [201: 25])
        #expect(counted(f, "POST /$batch", since: before) == [200: 4])
        let archive = try #require(await f.mailbox.snapshot().folder(wellKnownName: "archive"))
        for message in messages { #expect(try await f.mailbox.message(id: message.immutableID).parentFolderID == archive.id) }
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }

    @Test func severalActionsOnTheSameMessagesGoOutInOrderOnePerMessageAndBatch() async throws {
        let f = try await fixture()
        defer { Task { await f.server.stop() } }
        let messages = try await inbox(f, 25) { !$0.isRead && $0.flag.status == .notFlagged }
        let ids = messages.map { MessageID($0.immutableID) }
        let before = f.server.requestCounts()
        // The replay may start after the first of these; later ones queue behind on each message.
        try await f.service.perform(.flag(.flagged), on: ids)
        try await f.service.perform(.markRead(true), on: ids)
        try await f.service.move(ids, to: .archive)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        let archive = try #require(await f.mailbox.snapshot().folder(wellKnownName: "archive"))
        for message in messages {
            let server = try await f.mailbox.message(id: message.immutableID)
            #expect(server.flag.status == .flagged && server.isRead && server.parentFolderID == archive.id)
        }
        // Flags, reads, move checks and moves: one round each, 25 = 20 + 5 per round.
        #expect(counted(f, "POST /$batch", since: before) == [200: 8])
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }

    @Test func refusalsInABulkAreUndoneOrRemovedAndSaidOnce() async throws {
        let f = try await fixture()
        defer { Task { await f.server.stop() } }
        // Three of them are gone from the server before the action arrives: 404, removed here too.
        let messages = try await inbox(f, 20) { !$0.isRead }
        for message in messages.prefix(3) { try await f.mailbox.permanentlyDelete(id: message.id) }
        try await f.service.perform(.markRead(true), on: messages.map { MessageID($0.immutableID) })
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        for message in messages.prefix(3) { #expect(try f.cache.message(MessageID(message.immutableID)) == nil) }
        for message in messages.dropFirst(3) { #expect(try await f.mailbox.message(id: message.id).isRead) }
        #expect(await refusalNotice(f)?.hasPrefix("marking as read failed for 3 messages and was undone") == true)

        // Four of ten refused (403): undone on screen, so the cache agrees with the server without a sync.
        f.server.installFaults(try FaultSchedule(spec: "PATCH messages/*:403:count=4"))
        let unflagged = try await inbox(f, 10) { $0.flag.status == .notFlagged }
        try await f.service.perform(.flag(.flagged), on: unflagged.map { MessageID($0.immutableID) })
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        var refused = 0
        for message in unflagged {
            let server = try await f.mailbox.message(id: message.id).flag.status
            #expect(try f.cache.message(MessageID(message.immutableID))?.flag.rawValue == server.rawValue)
            if server == .notFlagged { refused += 1 }
        }
        #expect(refused == 4)
        #expect(await refusalNotice(f)?.hasPrefix("flagging failed for 4 messages and was undone") == true)
    }

    @Test func transientItemFailuresStayPendingAndGoOutLater() async throws {
        // No retries in the client: the outbox itself must keep them.
        let f = try await fixture(faults: "PATCH messages/*:503:count=2", retry: .none)
        defer { Task { await f.server.stop() } }
        let messages = try await inbox(f, 6) { !$0.isRead }
        try await f.service.perform(.markRead(true), on: messages.map { MessageID($0.immutableID) })
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 2)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        for message in messages { #expect(try await f.mailbox.message(id: message.id).isRead) }
    }

    @Test func aFailureThatNeverEndsIsGivenUpNotLoopedOn() async throws {
        let f = try await fixture(faults: "PATCH messages/*:503", retry: .none)
        defer { Task { await f.server.stop() } }
        let messages = try await inbox(f, 3) { $0.flag.status == .notFlagged }
        let ids = messages.map { MessageID($0.immutableID) }
        try await f.service.perform(.flag(.flagged), on: ids)
        var replays = 0
        while f.service.pendingActionCount > 0 && replays < 3 * MailService.maximumFailures {
            await f.service.replayPending()
            replays += 1
        }
        #expect(replays == MailService.maximumFailures)
        #expect(try ids.allSatisfy { try f.cache.message($0)?.flag == .notFlagged })
        #expect(await refusalNotice(f)?.hasPrefix("flagging failed for 3 messages and was undone") == true)
    }

    // MARK: Sending drafts

    @Test func aDraftIsSentOnceAndShowsInSentItemsAtOnce() async throws {
        var draft: EmulatedMessage?
        let f = try await fixture { draft = try await Self.addDraft($0, subject: "Quarterly numbers") }
        defer { Task { await f.server.stop() } }
        let id = MessageID(try #require(draft).immutableID)
        let sentItems = try #require(try f.cache.folder(wellKnown: .sentitems))
        try #require(try f.cache.message(id)?.folderID == f.cache.folder(wellKnown: .drafts)?.id)
        let before = f.server.requestCounts()
        try await f.service.send(draft: id)
        #expect(try f.cache.message(id)?.folderID == sentItems.id)          // before any request
        await #expect(throws: TriageError.self) { try await f.service.send(draft: id) }   // not a draft any more
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        let sent = try await f.mailbox.message(id: id.rawValue)
        #expect(sent.parentFolderID == sentItems.id.rawValue && !sent.isDraft)
        #expect(try await inboxCopies(f, subject: "Quarterly numbers") == 1)
        #expect(counted(f, "POST /me/messages/{id}/send", since: before) == [202: 1])
        #expect(counted(f, "GET /me/messages/{id}", since: before).isEmpty)    // a first attempt needs no check
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }

    @Test func aSendWhoseAnswerWasLostIsCheckedNotRepeated() async throws {
        var draft: EmulatedMessage?
        let f = try await fixture(faults: "POST messages/*/send:reset:count=1") {
            draft = try await Self.addDraft($0, subject: "Lost answer")
        }
        defer { Task { await f.server.stop() } }
        let id = MessageID(try #require(draft).immutableID)
        let before = f.server.requestCounts()
        try await f.service.send(draft: id)
        await f.service.replayPending()
        // The request went through, but the connection dropped before the answer: still pending.
        #expect(f.service.pendingActionCount == 1)
        #expect(try await f.mailbox.message(id: id.rawValue).isDraft == false)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(counted(f, "POST /me/messages/{id}/send", since: before) == [202: 1])
        #expect(counted(f, "GET /me/messages/{id}", since: before) == [200: 1])
        #expect(try await inboxCopies(f, subject: "Lost answer") == 1)
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }

    /// Exchange sends after its 202, through the Outbox: a draft seen there (or anywhere but
    /// Drafts) is being sent, and sending it again would send it twice.
    @Test func aDraftNoLongerInDraftsIsNotSentAgain() async throws {
        var draft: EmulatedMessage?
        let f = try await fixture(faults: "POST messages/*/send:500:count=1") {
            draft = try await Self.addDraft($0, subject: "Being sent")
        }
        defer { Task { await f.server.stop() } }
        let id = MessageID(try #require(draft).immutableID)
        let before = f.server.requestCounts()
        try await f.service.send(draft: id)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 1)               // a 500: tried again later
        // Meanwhile the server has taken the draft after all: it sits in the Outbox, still a draft.
        _ = try await f.mailbox.move(id: id.rawValue, to: "outbox")
        #expect(try await f.mailbox.message(id: id.rawValue).isDraft)
        await f.service.replayPending()
        #expect(f.service.pendingActionCount == 0)
        #expect(counted(f, "POST /me/messages/{id}/send", since: before) == [500: 1])
        #expect(counted(f, "GET /me/messages/{id}", since: before) == [200: 1])
    }

    @Test func sendsInABatchWhoseAnswerWasLostAreNeverSentTwice() async throws {
        var drafts: [EmulatedMessage] = []
        let f = try await fixture(faults: "POST /$batch:reset:count=1") { mailbox in
            for index in 0..<3 { drafts.append(try await Self.addDraft(mailbox, subject: "Batched draft \(index)")) }
        }
        defer { Task { await f.server.stop() } }
        let reads = try await inbox(f, 5) { !$0.isRead }
        // Queued as the TUI queues them (outbox, then cache), before any replay runs, so that all
        // eight go out in one batch.
        let sentItems = try #require(try f.cache.folder(wellKnown: .sentitems))
        let queued = try drafts.map { MessageID($0.immutableID) }.map { id in
            NewAction(.send(sentItems: sentItems.id), on: id, undo: .move(to: try #require(try f.cache.message(id)).folderID))
        } + reads.map { NewAction(.markRead(true), on: MessageID($0.immutableID), undo: .markRead(false)) }
        let outbox = try ActionStore.inMemory()
        try outbox.append(queued)
        try f.cache.applyLocally(queued.map { ($0.action, $0.messageID) })
        let service = try MailService(graph: f.graph, cache: f.cache, actions: outbox)
        let before = f.server.requestCounts()
        await service.replayPending()
        #expect(service.pendingActionCount == 8)      // the batch went through, its answer did not
        await service.replayPending()
        #expect(service.pendingActionCount == 0)
        // The second replay checked the sends (tried before) and repeated only the reads.
        #expect(counted(f, "$batch POST /me/messages/{id}/send", since: before) == [202: 3])
        #expect(counted(f, "$batch GET /me/messages/{id}", since: before) == [200: 3])
        #expect(counted(f, "$batch PATCH /me/messages/{id}", since: before) == [200: 10])
        for index in 0..<3 { #expect(try await inboxCopies(f, subject: "Batched draft \(index)") == 1) }
        try await f.service.syncAll()
        #expect(try f.cachedMessages() == (await f.serverMessages()))
    }
}
