import ArgumentParser
import Dispatch
import Foundation
import GraphEmulator
import Logging

struct Emulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve the built-in Microsoft Graph emulator on 127.0.0.1 for other tools and tests.",
        discussion: """
            The first line of output is `listening on http://127.0.0.1:PORT`; Graph lives under /v1.0 \
            and /beta. Every request needs `Authorization: Bearer TOKEN`: give the token with --token, \
            or use the one printed on the second line. Stops on Ctrl-C or SIGTERM.
            """
    )

    @Option(help: "Port to listen on (0: one the system chooses).")
    var port: Int = 0

    @Option(help: "An access token the emulator accepts for the mailbox owner.")
    var token: String?

    @OptionGroup var mailbox: MailboxOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        _ = LogSetup.bootstrap(paths: Paths())
        let accessToken = token ?? UUID().uuidString.lowercased()
        let server = GraphEmulatorServer(mailbox: Mailbox(content: try mailbox.load()), accessTokens: [accessToken])
        let url = try await server.start(port: port)
        // Written unbuffered: a script reads the first line to learn the port while we keep running.
        FileHandle.standardOutput.write(Data("listening on \(url.absoluteString)\naccess token: \(accessToken)\n".utf8))
        await waitForTerminationSignal()
        await server.stop()
    }

    /// Suspends until SIGINT or SIGTERM (handled, so the server shuts down cleanly).
    private func waitForTerminationSignal() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
