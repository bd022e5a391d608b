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
        subcommands: [Demo.self, Emulator.self]
    )
}
