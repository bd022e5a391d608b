import ArgumentParser
import Foundation
import GraphAPI
import GraphEmulator
import Logging
import MailCache
import MailService

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open Otter on a generated mailbox served by the built-in Graph emulator (no account needed).",
        discussion: """
            The emulator listens on 127.0.0.1 on a port the system chooses, Otter signs in to it with a \
            one-time token and syncs into a temporary cache that is removed on exit.
            """
    )

    @OptionGroup var mailbox: MailboxOptions
    @OptionGroup var polling: PollingOptions

    func run() async throws {
        let paths = Paths()
        let logging = LogSetup.bootstrap(paths: paths)
        let logger = Logger(label: "otter.demo")

        let content = try mailbox.load()
        let token = randomToken()
        let server = GraphEmulatorServer(mailbox: Mailbox(content: content), accessTokens: [token])
        let baseURL = try await server.start()
        logger.info("demo emulator listening on \(baseURL.absoluteString)")

        let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cacheDirectory) }
        let code: Int32
        do {
            let cache = try MailCache.open(at: cacheDirectory.appendingPathComponent("cache.sqlite"))
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: baseURL.appendingPathComponent("v1.0")),
                                    tokenProvider: { token }, logger: Logger(label: "otter.graph"))
            let service = try MailService(graph: graph, cache: cache, logger: Logger(label: "otter.service"))
            // Signing in to the emulator: the token is checked on this first call like any other.
            let me = try await graph.me()
            let account = me.mail ?? me.userPrincipalName ?? me.displayName ?? "demo"
            let poller = polling.start(service)
            code = try await TerminalSession.run(service: service, account: account, paths: paths, notices: logging.warnings)
            poller.cancel()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        if code != 0 { throw ExitCode(code) }
    }

    private func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
    }
}

/// The mailbox options `demo` and `emulator` share.
struct MailboxOptions: ParsableArguments {
    @Option(help: "Number of messages in the generated mailbox.")
    var messages: Int = 5_000

    @Option(help: "Seed of the generated mailbox: the same seed gives the same mailbox.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Load a mailbox in Graph JSON Lines form (folders.jsonl, messages.jsonl) instead of generating one.",
                               valueName: "dir"))
    var mailbox: String?

    func validate() throws {
        guard messages >= 0, messages <= 2_000_000 else {
            throw ValidationError("--messages must be between 0 and 2,000,000")
        }
    }

    func load() throws -> MailboxContent {
        if let mailbox {
            return try MailboxLoader.load(directory: URL(fileURLWithPath: mailbox))
        }
        return MailboxGenerator(messageCount: messages, seed: seed).generate()
    }
}
