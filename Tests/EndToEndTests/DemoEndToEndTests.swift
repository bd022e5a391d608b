import Foundation
import GraphEmulator
import MailCore
import Testing

/// The real `otter demo` in a pseudo-terminal: what a new user sees first.
/// Expectations come from the emulator's own deterministic mailbox for the same seed, never
/// from hard-coded strings.
@Suite(.serialized) struct DemoEndToEndTests {
    static let seed: UInt64 = 7
    static let messageCount = 600

    struct Expected {
        var topLevelFolders: [String]
        var inboxFocused: [EmulatedMessage]
    }

    static func expected() async -> Expected {
        let snapshot = await Mailbox(messageCount: messageCount, seed: seed).snapshot()
        let inbox = snapshot.folder(wellKnownName: "inbox")!
        return Expected(
            topLevelFolders: snapshot.topLevelFolders().map(\.displayName),
            inboxFocused: snapshot.messages(inFolder: inbox.id).filter { $0.inferenceClassification == .focused })
    }

    /// What the list shows of a subject: sanitised, the first few characters.
    static func visiblePrefix(_ text: String, _ count: Int = 12) -> String {
        String(TextSanitizer.oneLine(text).prefix(count))
    }

    static func environment() throws -> [String: String] {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("otter-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return ["HOME": home.path, "XDG_CONFIG_HOME": home.appendingPathComponent("config").path,
                "XDG_STATE_HOME": home.appendingPathComponent("state").path,
                "XDG_CACHE_HOME": home.appendingPathComponent("cache").path]
    }

    @Test func demoShowsTheMailboxOpensAMessageResizesAndRestoresTheTerminal() async throws {
        let expected = await Self.expected()
        let otter = try PTYProcess(executable: try otterExecutableURL().path,
                                   arguments: ["demo", "--messages", "\(Self.messageCount)", "--seed", "\(Self.seed)"],
                                   environment: try Self.environment(), width: 100, height: 30)
        defer { otter.terminate() }

        // The list shows the newest Focused messages of the Inbox, the tree the top-level folders.
        let firstSubjects = expected.inboxFocused.prefix(3).map { Self.visiblePrefix($0.subject) }
        // A frame may arrive in several reads; the status line is drawn last, so waiting for it
        // too means the whole frame is on screen.
        try await otter.waitFor(timeout: .seconds(90), description: "the Inbox list with its newest subjects") { screen in
            screen.contains("Focused  Other") && firstSubjects.allSatisfy(screen.contains)
                && screen.lines[29].contains("Inbox · Focused  1 of")
        }
        try await otter.waitFor(timeout: .seconds(60), description: "every top-level folder in the tree") { screen in
            expected.topLevelFolders.allSatisfy { screen.contains(Self.visiblePrefix($0, 10)) }
        }
        #expect(otter.screen.isAlternateScreen)

        // j selects the second message; Enter opens it full-screen with its body.
        let second = expected.inboxFocused[1]
        try otter.send("j")
        try await otter.waitFor(description: "the second message selected") { $0.lines[29].contains("2 of") }
        try otter.send(keys: .enter)
        let bodyLine = TextSanitizer.multiline(HTMLText.plainText(fromHTML: second.body.content))
            .split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
        let bodyStart = String(bodyLine.prefix(16))
        let address = TextSanitizer.oneLine(second.from?.address ?? "")
        try await otter.waitFor(description: "the reader with the second message's sender and body") { screen in
            // Full screen: the list and its tabs are gone.
            screen.contains("Subject: " + Self.visiblePrefix(second.subject, 8)) && screen.contains(address)
                && screen.contains(bodyStart) && !screen.contains("Focused  Other")
        }

        // u goes back to the three panes; a resize lays them out again at the new size.
        try otter.send("u")
        try await otter.waitFor(description: "back to the list") { $0.contains("Focused  Other") }
        try otter.resize(width: 120, height: 40)
        try await otter.waitFor(description: "the layout at 120x40") { screen in
            screen.lines.count == 40 && screen.lines[39].contains("2 of") && screen.lines[0].contains("Otter")
                && screen.cell(row: 2, col: 24)?.text == "│"
        }

        // q quits and gives the terminal back as it was.
        try otter.send("q")
        let status = try await otter.waitForExit(timeout: .seconds(20))
        #expect(status == 0)
        #expect(!otter.screen.isAlternateScreen)
        #expect(try otter.lineDiscipline().isCooked)
        #expect(otter.screen.oscSequences.isEmpty)
        #expect(otter.screen.modes.cursorVisible)
        #expect(!otter.screen.modes.bracketedPaste)
    }

    @Test func sigtermRestoresTheTerminal() async throws {
        let otter = try PTYProcess(executable: try otterExecutableURL().path,
                                   arguments: ["demo", "--messages", "50", "--seed", "3"],
                                   environment: try Self.environment(), width: 80, height: 24)
        defer { otter.terminate() }
        try await otter.waitFor(timeout: .seconds(90), description: "the list") { $0.contains("Focused") }
        kill(otter.pid, SIGTERM)
        let status = try await otter.waitForExit(timeout: .seconds(20))
        #expect(status == 128 + SIGTERM)
        #expect(!otter.screen.isAlternateScreen)
        #expect(try otter.lineDiscipline().isCooked)
    }
}
