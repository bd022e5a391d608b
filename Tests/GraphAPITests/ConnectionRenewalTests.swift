import Foundation
import GraphEmulator
import Testing
@testable import GraphAPI

/// "A new connection after 503" (issue 4): requests share one keep-alive connection, but the
/// retry after a 503 goes over a new one, because the front end that answered may be unhealthy.
/// The emulator counts the TCP connections it accepts.
@Suite struct ConnectionRenewalTests {
    static let token = "renewal-token"

    func start(faults: String? = nil) async throws -> (GraphEmulatorServer, GraphClient) {
        let server = GraphEmulatorServer(mailbox: Mailbox(messageCount: 30, seed: 5), accessTokens: [Self.token])
        let base = try await server.start()
        if let faults { server.installFaults(try FaultSchedule(spec: faults)) }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                tokenProvider: { Self.token }, retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.01, maxDelay: 0.05))
        return (server, graph)
    }

    @Test func requestsOneAfterAnotherShareOneConnection() async throws {
        let (server, graph) = try await start()
        defer { Task { await server.stop() } }
        for _ in 0..<5 { _ = try await graph.me() }
        _ = try await graph.mailFolder("inbox")
        #expect(server.connectionsOpened == 1)
        #expect(graph.connectionRenewals == 0)
    }

    @Test func theRetryAfterA503GoesOverANewConnection() async throws {
        let (server, graph) = try await start(faults: "/me:503:nth=3:count=1")
        defer { Task { await server.stop() } }
        _ = try await graph.me()
        _ = try await graph.me()
        #expect(server.connectionsOpened == 1)
        // The third request is answered 503; its retry (the only request after it) succeeds.
        _ = try await graph.me()
        #expect(server.requestCounts()["GET /me"] == [200: 3, 503: 1])
        #expect(server.connectionsOpened == 2)
        #expect(graph.connectionRenewals == 1)
        // Later requests keep to the new connection.
        for _ in 0..<3 { _ = try await graph.mailFolder("inbox") }
        #expect(server.connectionsOpened == 2)
    }

    @Test func otherFailuresKeepTheConnection() async throws {
        // A throttled request or a missing message says nothing about the front end's health.
        let (server, graph) = try await start(faults: "/me:429x1:retry-after=0")
        defer { Task { await server.stop() } }
        _ = try await graph.me()
        await #expect(throws: GraphError.self) { _ = try await graph.mailFolder("no-such-folder") }
        _ = try await graph.me()
        #expect(server.requestCounts()["GET /me"] == [429: 1, 200: 2])
        #expect(server.connectionsOpened == 1)
        #expect(graph.connectionRenewals == 0)
    }

    @Test func theControlSurfaceReportsTheCount() async throws {
        let (server, graph) = try await start()
        defer { Task { await server.stop() } }
        _ = try await graph.me()
        let base = try #require(await server.baseURL)
        let response = try await graph.send(method: .GET, url: base.appendingPathComponent("_emulator/connections"))
        let json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        #expect(json["opened"] as? Int == 1)
    }
}
