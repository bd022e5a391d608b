import Foundation
import GraphEmulator
import MailCache
import MailCore
import Testing

/// Issue 4's offline start: with the server gone, `otter` opens from the cache, reads, searches and
/// queues actions; when the server is back, the queued action reaches it. The server is the
/// emulator in this process, stopped and started again on the same port with the same mailbox,
/// so the app sees a real outage (connection refused) and a real recovery.
@Suite(.serialized) struct OfflineStartEndToEndTests {
    static let token = "offline-token"

    /// The list of the Inbox's Focused tab, drawn whole (the status line is drawn last).
    func waitForList(_ otter: PTYProcess, showing subjects: [String], timeout: Duration = .seconds(60)) async throws {
        try await otter.waitFor(timeout: timeout, description: "the Inbox list with its newest subjects") { screen in
            screen.contains("Focused  Other") && subjects.allSatisfy(screen.contains)
                && screen.lines[screen.lines.count - 1].contains("Inbox · Focused  1 of")
        }
    }

    /// Searches the cache for `query` (`/`), waits for `subject` among the results, then goes
    /// back to the Inbox (`u`).
    func search(_ otter: PTYProcess, query: String, finds subject: String) async throws {
        try otter.send("/")
        try otter.send(query)
        try otter.send(keys: .enter)
        try await otter.waitFor(description: "search results with \(subject)") { screen in
            screen.lines[screen.lines.count - 1].contains("Search: \(query)  1 of") && screen.contains(subject)
        }
        try otter.send("u")
        try await otter.waitFor(description: "back to the Inbox") { screen in
            screen.lines[screen.lines.count - 1].contains("Inbox · Focused  1 of")
        }
    }

    /// Whether `condition` holds within `timeout`, checked every 100 ms (the server's state
    /// changes in another task; there is no screen to wait on).
    func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func withoutANetworkTheAppOpensFromTheCacheReadsAndQueuesActions() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 23)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Self.token])
        let base = try await server.start()
        let port = try #require(base.port)
        let env = try DemoEndToEndTests.environment()
        let account = ["--account", "away", "--graph-url", base.absoluteString + "/v1.0",
                       "--access-token-command", "printf \(Self.token)"]
        let tui = account + ["--poll-interval", "5", "--active-poll-interval", "2"]

        let sync = try await HeadlessSyncEndToEndTests.run(["sync"] + account, environment: env)
        try #require(sync.status == 0, "otter sync: \(sync.err)")

        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let focused = snapshot.messages(inFolder: inbox.id).filter { $0.inferenceClassification == .focused }
        let subjects = focused.prefix(3).map { DemoEndToEndTests.visiblePrefix($0.subject) }
        let newest = focused[0]
        try #require(newest.flag.status == .notFlagged, "the test flags the newest message")
        let bodyLine = TextSanitizer.multiline(HTMLText.plainText(fromHTML: newest.body.content))
            .split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
        let bodyStart = String(bodyLine.prefix(16))
        try #require(!bodyStart.isEmpty)

        // Online once: showing the newest message (selected first) puts its body in the cache.
        do {
            let online = try PTYProcess(executable: try otterExecutableURL().path, arguments: tui, environment: env,
                                        width: 100, height: 30)
            defer { online.terminate() }
            try await waitForList(online, showing: subjects)
            try await online.waitFor(timeout: .seconds(30), description: "the newest message's body in the preview") {
                $0.contains(bodyStart)
            }
            try online.send("q")
            #expect(try await online.waitForExit(timeout: .seconds(20)) == 0)
        }

        // The network goes away: nothing listens on that port any more.
        await server.stop()
        let offline = try PTYProcess(executable: try otterExecutableURL().path, arguments: tui, environment: env,
                                     width: 100, height: 30)
        defer { offline.terminate() }

        // The list is painted from the cache, without waiting for the server.
        try await waitForList(offline, showing: subjects, timeout: .seconds(20))
        // The body read before shows from the cache, in the preview and full screen.
        try await offline.waitFor(description: "the cached body in the preview") { $0.contains(bodyStart) }
        try offline.send(keys: .enter)
        try await offline.waitFor(description: "the cached body, offline") { screen in
            screen.contains(bodyStart) && !screen.contains("Focused  Other")
        }
        try offline.send("u")
        try await offline.waitFor(description: "back to the list") { $0.contains("Focused  Other") }

        // Search answers from the cache: a message further down, by the longest word of its subject.
        let further = focused[12]
        let word = try #require(further.subject.split(whereSeparator: { !$0.isLetter }).map(String.init).max { $0.count < $1.count })
        try await search(offline, query: word, finds: DemoEndToEndTests.visiblePrefix(further.subject, 10))

        // A triage action shows at once and waits in the outbox.
        let subject = subjects[0]
        try offline.send("s")
        try await offline.waitFor(description: "the newest message flagged in the list") { screen in
            screen.lines.contains { $0.contains(subject) && $0.contains("⚑") }
        }
        try await offline.waitFor(timeout: .seconds(60), description: "the status line saying offline, 1 pending") { screen in
            screen.lines[29].contains("offline, 1 pending")
        }
        let outbox = URL(fileURLWithPath: env["XDG_STATE_HOME"]! + "/otter/away/pending.sqlite")
        let queued = try ActionStore.open(at: outbox).pending()
        #expect(queued.map(\.action) == [.flag(.flagged)] && queued.map(\.messageID) == [MessageID(newest.immutableID)])
        #expect(try await mailbox.message(id: newest.id).flag.status == .notFlagged)

        // The server is back on the same address: the next poll sends the action.
        let restarted = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Self.token])
        _ = try await restarted.start(port: port)
        defer { Task { await restarted.stop() } }
        let delivered = try await eventually { try await mailbox.message(id: newest.id).flag.status == .flagged }
        #expect(delivered, "the queued flag reached the server")
        try await offline.waitFor(timeout: .seconds(60), description: "the status line synced, nothing pending") { screen in
            screen.lines[29].contains("synced") && !screen.lines[29].contains("pending")
        }
        #expect(try ActionStore.open(at: outbox).count == 0)
        #expect(offline.screen.lines.contains { $0.contains(subject) && $0.contains("⚑") })
        try offline.send("q")
        #expect(try await offline.waitForExit(timeout: .seconds(20)) == 0)
    }
}
