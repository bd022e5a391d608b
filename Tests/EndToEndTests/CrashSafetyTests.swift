import Foundation
import GraphEmulator
import MailCache
import MailCore
import Testing

/// Crash safety proven the mbsync way: `otter sync` is killed with SIGKILL at every crash point
/// of a round — after each cache or outbox transaction and after each Graph response (see
/// `CrashPoint`) — then restarted until it finishes. The final cache and the server's mailbox
/// must equal those of an uninterrupted run: no action lost, none applied twice, no envelope
/// missing or stale.
@Suite(.serialized) struct CrashSafetyTests {
    static let token = "crash-token"

    struct Outcome: Equatable {
        var cache: [String]
        var server: [String]
        var pending: Int
        /// Statuses of every send request the server saw, on its own or in `$batch`, across all
        /// runs: a draft sent twice would show a second 202 (or a 400 for a draft already sent).
        var sends: [Int: Int]

        /// What differs, readable: whole lists of 160 messages hide the one line that matters.
        func difference(from reference: Outcome) -> String {
            func lines(_ mine: [String], _ theirs: [String]) -> String {
                "missing \(Set(theirs).subtracting(mine).sorted()), extra \(Set(mine).subtracting(theirs).sorted())"
            }
            return "cache: \(lines(cache, reference.cache)); server: \(lines(server, reference.server)); "
                + "pending \(pending) (reference \(reference.pending)); sends \(sends) (reference \(reference.sends))"
        }
    }

    /// One scenario from scratch: a synced cache, actions queued offline (single ones, two bulk
    /// actions that go through `$batch`, and a draft to send), changes made on the server by
    /// another client meanwhile, then `otter sync` (killed at `crashAfter`, and restarted until
    /// it succeeds). Returns the final state and whether the kill happened.
    func scenario(crashAfter: Int?) async throws -> (Outcome, crashed: Bool) {
        let mailbox = Mailbox(messageCount: 160, seed: 9)
        // A draft to the owner, so a second send would also show as a second copy in the Inbox.
        let owner = EmulatedMessage.Recipient(name: mailbox.owner.displayName, address: mailbox.owner.address)
        let delivered = try await mailbox.deliver(NewMessage(subject: "draft to send", from: owner, toRecipients: [owner],
                                                             body: .init(contentType: .text, content: "hello"), isRead: true),
                                                  to: "drafts")
        let draft = try await mailbox.update(id: delivered.id) { $0.isDraft = true }
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Self.token])
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let env = try DemoEndToEndTests.environment()
        let options = ["--account", "a", "--graph-url", url.absoluteString + "/v1.0",
                       "--access-token-command", "printf \(Self.token)", "--delta-page-size", "25"]
        let first = try await HeadlessSyncEndToEndTests.run(["sync"] + options, environment: env)
        try #require(first.status == 0, "initial sync: \(first.err)")

        // Queue actions as the TUI would while offline: outbox first, then the cache.
        let cacheURL = URL(fileURLWithPath: env["XDG_CACHE_HOME"]! + "/otter/a/cache.sqlite")
        let outboxURL = URL(fileURLWithPath: env["XDG_STATE_HOME"]! + "/otter/a/pending.sqlite")
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let archive = try #require(snapshot.folder(wellKnownName: "archive"))
        let sentItems = try #require(snapshot.folder(wellKnownName: "sentitems"))
        let inboxMessages = snapshot.messages(inFolder: inbox.id)
        do {
            let cache = try MailCache.open(at: cacheURL)
            let outbox = try ActionStore.open(at: outboxURL)
            let queued: [(EmulatedMessage, TriageAction)] = [
                (inboxMessages[0], .markRead(!inboxMessages[0].isRead)),
                (inboxMessages[1], .flag(.flagged)),
                (inboxMessages[2], .move(to: FolderID(archive.id))),
                (inboxMessages[3], .markRead(!inboxMessages[3].isRead)),
            ]
            for (message, action) in queued {
                try queueOffline(action, on: [MessageID(message.immutableID)], cache: cache, outbox: outbox)
            }
            // Bulk actions, as `MailService.perform` records them: one transaction for the outbox
            // and one for the cache. 25 flags (two batches' worth) and 3 more moves.
            let bulks: [(TriageAction, ArraySlice<EmulatedMessage>)] = [
                (.flag(.complete), inboxMessages[8..<33]), (.move(to: FolderID(archive.id)), inboxMessages[33..<36]),
                (.send(sentItems: FolderID(sentItems.id)), [draft]),
            ]
            for (action, messages) in bulks {
                try queueOffline(action, on: messages.map { MessageID($0.immutableID) }, cache: cache, outbox: outbox)
            }
        }
        // Another client changes the mailbox meanwhile.
        _ = try await mailbox.markRead(id: inboxMessages[5].id, !inboxMessages[5].isRead)
        _ = try await mailbox.move(id: inboxMessages[6].id, to: "archive")
        try await mailbox.delete(id: inboxMessages[7].id)
        _ = try await mailbox.deliver(NewMessage(subject: "arrived meanwhile", from: .init(name: "Dana", address: "dana@contoso.com"),
                                                 body: .init(contentType: .text, content: "hi")))
        // Messages the run creates (the sent draft's copy in the Inbox) get ids from the order in
        // which the server happens to run a batch's items, which differs from run to run.
        let existing = Set(await mailbox.snapshot().messages.map(\.immutableID))

        let crashed = try await CrashRuns.sync(killedAt: crashAfter, options, environment: env)
        if crashed { try await CrashRuns.recover(options, environment: env, afterPoint: crashAfter) }
        var result = try await outcome(cacheURL: cacheURL, outboxURL: outboxURL, mailbox: mailbox, existing: existing)
        let counts = server.requestCounts()
        for key in ["POST /me/messages/{id}/send", "$batch POST /me/messages/{id}/send"] {
            result.sends.merge(counts[key] ?? [:], uniquingKeysWith: +)
        }
        return (result, crashed)
    }

    /// Both sides as "id|folder|read|flag|subject" lines; the id of a message not in `existing`
    /// is written as "new".
    func outcome(cacheURL: URL, outboxURL: URL, mailbox: Mailbox, existing: Set<String>) async throws -> Outcome {
        func shown(_ id: String) -> String { existing.contains(id) ? id : "new" }
        let cache = try MailCache.open(at: cacheURL)
        let folders = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id, $0.displayName) })
        var cached: [String] = []
        for folder in try cache.folders() {
            for m in try cache.window(MessageQuery(folderID: folder.id), from: nil, limit: 100_000).rows {
                cached.append("\(shown(m.id.rawValue))|\(folders[m.folderID] ?? "?")|\(m.isRead)|\(m.flag)|\(m.subject)")
            }
        }
        let snapshot = await mailbox.snapshot()
        let names = Dictionary(uniqueKeysWithValues: snapshot.folders.map { ($0.id, $0.displayName) })
        let visible = Set(snapshot.folders.filter { !$0.isHidden }.map(\.id))
        let server = snapshot.messages.filter { visible.contains($0.parentFolderID) }.map {
            "\(shown($0.immutableID))|\(names[$0.parentFolderID] ?? "?")|\($0.isRead)|\($0.flag.status.rawValue)|\($0.subject)"
        }
        return Outcome(cache: cached.sorted(), server: server.sorted(), pending: try ActionStore.open(at: outboxURL).count,
                       sends: [:])
    }

    @Test func killedAtEveryCrashPointARestartEndsWhereAnUninterruptedRunDoes() async throws {
        let (reference, _) = try await scenario(crashAfter: nil)
        #expect(reference.pending == 0)
        #expect(reference.cache == reference.server)      // the cache mirrors the server once synced
        #expect(reference.sends == [202: 1])
        #expect(reference.server.filter { $0.hasSuffix("|draft to send") }.count == 2)   // in Sent Items, and its copy in the Inbox
        var point = 1
        var crashes = 0
        while true {
            let (result, crashed) = try await scenario(crashAfter: point)
            guard crashed else { break }      // past the last crash point: the run completed
            crashes += 1
            #expect(result == reference, "after a kill at crash point \(point): \(result.difference(from: reference))")
            if result != reference { break }
            point += 1
        }
        // Enough points to cover the replay of every action and several pages of every round.
        #expect(crashes > 30)
    }
}
