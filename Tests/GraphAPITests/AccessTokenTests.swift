import Foundation
import GraphAPI
import GraphEmulator
import Testing

@Suite struct AccessTokenTests {
    /// Hands out a stale token first, a good one after the server refused the stale one.
    actor RotatingToken: AccessTokenSource {
        var current = "stale"
        var invalidated: [String] = []
        func token() -> String { current }
        func invalidate(_ token: String) {
            invalidated.append(token)
            current = "fresh"
        }
    }

    @Test func a401IsRetriedOnceWithAFreshToken() async throws {
        let server = GraphEmulatorServer(mailbox: Mailbox(messageCount: 5, seed: 1), accessTokens: ["fresh"])
        let base = try await server.start()
        defer { Task { await server.stop() } }
        let tokens = RotatingToken()
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")), tokens: tokens)
        let me = try await graph.me()
        #expect(me.mail == "alex.morgan@contoso.com")
        #expect(await tokens.invalidated == ["stale"])
        #expect(graph.traffic.requests == 2)
    }

    @Test func theTokenCommandsFirstLineIsUsedAndKeptUntilRefused() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let counter = dir.appendingPathComponent("runs").path
        // Counts its runs, so the test can see the token is cached between calls.
        let source = CommandAccessToken(command: "echo x >> '\(counter)'; printf '  tok-1  \\nsecond line\\n'")
        #expect(try await source.token() == "tok-1")
        #expect(try await source.token() == "tok-1")
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 1)
        await source.invalidate("tok-1")
        #expect(try await source.token() == "tok-1")
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func aFailingOrSilentCommandIsAnError() async throws {
        await #expect(throws: CommandAccessToken.Failure.self) { try await CommandAccessToken(command: "exit 2").token() }
        await #expect(throws: CommandAccessToken.Failure.self) { try await CommandAccessToken(command: "true").token() }
    }
}
