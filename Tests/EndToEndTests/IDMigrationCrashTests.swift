import Foundation
import GraphEmulator
import MailCache
import MailCore
import Testing

/// The migration of a regular-id cache to immutable ids, killed with SIGKILL at every crash
/// point it passes (each translate response, each outbox and cache transaction), then
/// restarted: the end state must equal an uninterrupted run's, every pending action and cached
/// body following its message, none lost.
@Suite(.serialized) struct IDMigrationCrashTests {
    static let token = "id-crash-token"
    /// Three chunks of 1,000.
    static let messages = 2_300

    struct Outcome: Equatable {
        /// id|folder|read|flag|subject of every listed row.
        var cache: [String]
        var server: [String]
        /// Ids whose body is cached, with the body's first characters.
        var bodies: [String]
        var pending: Int
    }

    struct Run {
        var outcome: Outcome
        var crashed: Bool
        /// The cache recorded immutable ids when the process died: the kill was past the migration.
        var migratedBeforeCrash: Bool
        var translateRequests: Int
    }

    func scenario(crashAfter: Int?) async throws -> Run {
        let mailbox = Mailbox(messageCount: Self.messages, seed: 14)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Self.token])
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let env = try DemoEndToEndTests.environment()
        let options = ["--account", "a", "--graph-url", url.absoluteString + "/v1.0", "--access-token-command", "printf \(Self.token)"]
        // An older Otter: regular ids.
        let first = try await HeadlessSyncEndToEndTests.run(["sync", "--regular-ids"] + options, environment: env)
        try #require(first.status == 0, "initial sync: \(first.err)")

        let cacheURL = URL(fileURLWithPath: env["XDG_CACHE_HOME"]! + "/otter/a/cache.sqlite")
        let outboxURL = URL(fileURLWithPath: env["XDG_STATE_HOME"]! + "/otter/a/pending.sqlite")
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let archive = try #require(snapshot.folder(wellKnownName: "archive"))
        let inboxMessages = snapshot.messages(inFolder: inbox.id)
        let oldest = try #require(snapshot.messages.last { $0.parentFolderID != inbox.id && !snapshot.folder(id: $0.parentFolderID)!.isHidden })
        do {
            let cache = try MailCache.open(at: cacheURL)
            #expect(try cache.messageIDKind() == .regular)
            let outbox = try ActionStore.open(at: outboxURL)
            let queued: [(EmulatedMessage, TriageAction)] = [
                (inboxMessages[0], .markRead(!inboxMessages[0].isRead)),
                (inboxMessages[1], .flag(.flagged)),
                (inboxMessages[2], .move(to: FolderID(archive.id))),
                (oldest, .flag(.complete)),
            ]
            for (message, action) in queued {
                try queueOffline(action, on: [MessageID(message.id)], cache: cache, outbox: outbox)
            }
            for message in [inboxMessages[2], inboxMessages[3], oldest] {
                try cache.storeContent(MessageContent(messageID: MessageID(message.id), format: .text, body: "cached body of \(message.subject)"))
            }
        }

        let crashed = try await CrashRuns.sync(killedAt: crashAfter, options, environment: env)
        let migratedBeforeCrash = try MailCache.open(at: cacheURL).messageIDKind() == .immutable
        if crashed { try await CrashRuns.recover(options, environment: env, afterPoint: crashAfter) }
        let translate = server.requestCounts()["POST /me/translateExchangeIds"]?[200] ?? 0
        return Run(outcome: try await outcome(cacheURL: cacheURL, outboxURL: outboxURL, mailbox: mailbox),
                   crashed: crashed, migratedBeforeCrash: migratedBeforeCrash, translateRequests: translate)
    }

    func outcome(cacheURL: URL, outboxURL: URL, mailbox: Mailbox) async throws -> Outcome {
        let cache = try MailCache.open(at: cacheURL)
        #expect(try cache.messageIDKind() == .immutable)
        let folders = Dictionary(uniqueKeysWithValues: try cache.folders().map { ($0.id, $0.displayName) })
        var cached: [String] = [], bodies: [String] = []
        for folder in try cache.folders() {
            for m in try cache.window(MessageQuery(folderID: folder.id), from: nil, limit: 100_000).rows {
                cached.append("\(m.id)|\(folders[m.folderID] ?? "?")|\(m.isRead)|\(m.flag.rawValue)|\(m.subject)")
                if let content = try cache.content(for: m.id) { bodies.append("\(m.id)|\(content.body)") }
            }
        }
        let snapshot = await mailbox.snapshot()
        let names = Dictionary(uniqueKeysWithValues: snapshot.folders.map { ($0.id, $0.displayName) })
        let visible = Set(snapshot.folders.filter { !$0.isHidden }.map(\.id))
        let server = snapshot.messages.filter { visible.contains($0.parentFolderID) }.map {
            "\($0.immutableID)|\(names[$0.parentFolderID] ?? "?")|\($0.isRead)|\($0.flag.status.rawValue)|\($0.subject)"
        }
        return Outcome(cache: cached.sorted(), server: server.sorted(), bodies: bodies.sorted(),
                       pending: try ActionStore.open(at: outboxURL).count)
    }

    @Test func killedAtEveryPointOfTheMigrationARestartEndsWhereAnUninterruptedRunDoes() async throws {
        let reference = try await scenario(crashAfter: nil)
        let chunks = (Self.messages + 999) / 1000
        #expect(reference.translateRequests == chunks)
        #expect(reference.outcome.pending == 0)
        #expect(reference.outcome.cache == reference.outcome.server)
        #expect(reference.outcome.bodies.count == 3)   // the bodies followed their messages
        var point = 1
        var crashesDuringMigration = 0
        while true {
            let run = try await scenario(crashAfter: point)
            #expect(run.outcome == reference.outcome, "after a kill at crash point \(point)")
            // Only the chunk in flight at the kill is asked again.
            #expect(run.translateRequests <= chunks + 1, "after a kill at crash point \(point)")
            if run.outcome != reference.outcome || !run.crashed || run.migratedBeforeCrash { break }
            crashesDuringMigration += 1
            point += 1
        }
        // A translate response, the outbox's and the cache's transaction for every chunk.
        #expect(crashesDuringMigration >= 3 * chunks)
    }
}
