import AsyncHTTPClient
import Foundation
import GraphEmulator
import Testing

@Suite("Delta replays")
struct DeltaReplayTests {
    /// Walks one whole round of the Inbox's message delta and returns the ids in order.
    func round(replayEvery: Int?) async throws -> (ids: [String], folderSize: Int) {
        let mailbox = Mailbox(messageCount: 300, seed: 4)
        var configuration = GraphEmulatorConfiguration()
        configuration.deltaReplayEvery = replayEvery
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Emulator.token], configuration: configuration)
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let emulator = Emulator(server: server, mailbox: mailbox, baseURL: base)
        let pages = try await emulator.pages("/v1.0/me/mailFolders/inbox/messages/delta?$select=subject",
                                             headers: ["Prefer": "odata.maxpagesize=10"])
        let ids = try pages.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
        let inbox = try #require(await mailbox.snapshot().folder(wellKnownName: "inbox"))
        return (ids, await mailbox.snapshot().messages(inFolder: inbox.id).count)
    }

    @Test("Without replays every message comes once; with them some come twice, none is lost")
    func replays() async throws {
        let plain = try await round(replayEvery: nil)
        #expect(plain.ids.count == plain.folderSize && Set(plain.ids).count == plain.folderSize)
        let replayed = try await round(replayEvery: 2)
        #expect(Set(replayed.ids) == Set(plain.ids))
        #expect(replayed.ids.count > plain.ids.count)
        // A replayed item is the one just before: the last of one page is the first of the next.
        let repeats = zip(replayed.ids, replayed.ids.dropFirst()).filter { $0 == $1 }.count
        #expect(repeats == replayed.ids.count - plain.ids.count)
    }
}
