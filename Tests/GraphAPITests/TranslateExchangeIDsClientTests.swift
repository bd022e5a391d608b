import Foundation
import GraphAPI
import GraphEmulator
import Testing

/// `GraphClient.translateExchangeIDs` and the `immutableIDs` switch, against the emulator.
@Suite struct TranslateExchangeIDsClientTests {
    @Test func idsAreTranslatedAThousandPerRequestAndUnknownOnesSaySo() async throws {
        let mailbox = Mailbox(messageCount: 2_100, seed: 31)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: ["t"])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { "t" })
        let messages = await mailbox.snapshot().messages
        let gone = try await mailbox.move(id: messages[0].id, to: "archive")   // its old regular id is stale now
        let asked = messages.map(\.id) + [messages[1].id]                       // a duplicate is asked once

        let results = try await graph.translateExchangeIDs(asked)
        #expect(server.requestCounts()["POST /me/translateExchangeIds"] == [200: 3])
        #expect(results.count == messages.count)
        #expect(results[messages[0].id]?.targetID == nil && results[messages[0].id]?.errorCode == "ErrorItemNotFound")
        for m in messages.dropFirst() { #expect(results[m.id]?.targetID == m.immutableID) }

        let back = try await graph.translateExchangeIDs([gone.immutableID], from: .restImmutableEntryId, to: .restId)
        #expect(back[gone.immutableID]?.targetID == gone.id)
    }

    @Test func withoutImmutableIDsTheServerServesRegularOnes() async throws {
        let mailbox = Mailbox(messageCount: 30, seed: 32)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: ["t"])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        for immutable in [true, false] {
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0"), immutableIDs: immutable),
                                    tokenProvider: { "t" })
            let page = try await graph.messageDelta(folderID: inbox.id, link: nil, select: ["id"], maxPageSize: 100)
            let expected = snapshot.messages(inFolder: inbox.id).map { immutable ? $0.immutableID : $0.id }
            #expect(Set(page.value.compactMap(\.id)) == Set(expected))
        }
    }
}
