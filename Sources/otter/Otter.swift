import ArgumentParser
import Foundation

@main
struct Otter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "otter",
        abstract: "A keyboard-driven terminal mail reader for Outlook mailboxes, over Microsoft Graph.",
        discussion: """
            Try it without an account: `otter demo` serves a generated mailbox from the built-in Graph \
            emulator and opens the reader on it. Keys are in keymaps.conf (press ? inside Otter).
            """,
        version: "0.1.0",
        subcommands: [Demo.self, Sync.self, Emulator.self]
    )

    @OptionGroup var account: AccountOptions
    @OptionGroup var polling: PollingOptions

    /// `otter` alone: the reader over the account's cache, synced in the background.
    func run() async throws {
        let paths = Paths()
        let logging = LogSetup.bootstrap(paths: paths)
        let service = try account.openService(paths: paths)
        let poller = polling.start(service)
        defer { poller.cancel() }
        let code = try await TerminalSession.run(service: service, account: account.account, paths: paths,
                                                 notices: logging.warnings)
        if code != 0 { throw ExitCode(code) }
    }
}
