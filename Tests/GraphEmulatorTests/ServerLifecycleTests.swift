import Foundation
import GraphEmulator
import Testing

@Suite("Server lifecycle")
struct ServerLifecycleTests {
    @Test("start() listens on an OS-chosen loopback port, is idempotent, and stop() closes it")
    func startAndStop() async throws {
        let mailbox = Mailbox(messageCount: 10, seed: 1)
        let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Emulator.token])
        async let first = server.start()
        async let second = server.start()
        let (url, again) = try await (first, second)
        #expect(url == again)
        #expect(url.host == "127.0.0.1")
        let port = try #require(url.port)
        #expect(port > 0)
        #expect(await server.baseURL == url)
        let emulator = Emulator(server: server, mailbox: mailbox, baseURL: url)
        #expect(try await emulator.get("/v1.0/me").status == 200)

        // The port is taken while the first server runs.
        let rival = GraphEmulatorServer(mailbox: mailbox, accessTokens: [])
        await #expect(throws: (any Error).self) { try await rival.start(port: port) }

        await server.stop()
        #expect(await server.baseURL == nil)
        // The socket is closed: another server can now bind the same port.
        let successor = try await rival.start(port: port)
        #expect(successor.port == port)
        await rival.stop()

        // It can be started again.
        let restarted = try await server.start()
        #expect(try await Emulator(server: server, mailbox: mailbox, baseURL: restarted).get("/v1.0/me").status == 200)
        await server.stop()
    }
}
