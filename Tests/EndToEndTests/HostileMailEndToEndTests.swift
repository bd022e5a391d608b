import Foundation
import Testing

/// Mail crafted to attack the terminal: escape sequences (OSC 52 clipboard, OSC 0 title, OSC 8
/// links, CSI clear-screen, C1 CSI) in the subject, sender, folder name and body. The real
/// binary must show them as inert text and never emit them (QUALITY.md Security 1 and 2).
@Suite(.serialized) struct HostileMailEndToEndTests {
    static let root = "AAMkADrootAAAAAAAAA="
    static let inbox = "AAMkADinboxAAAAAAAA="
    static let evilFolder = "AAMkADevilfolderAAA="

    /// A mailbox in Graph JSON Lines form, written with JSON escapes so the hostile bytes are real.
    static func corpus() throws -> URL {
        let esc = "\\u001b", bel = "\\u0007", csi1 = "\\u009b"
        let subject = "\(esc)]52;c;cm0gLXJmIH4=\(bel)Invoice \(esc)[2J\(csi1)31mdue \\u202Efdp.exe"
        let sender = "Evil\(esc)]0;pwned\(bel) Corp"
        let body = "<p>Click \(esc)]8;;https://evil.example\(esc)\\\\here\(esc)]8;;\(esc)\\\\ now\(esc)[?1049l</p>"
        let folders = """
            {"id": "\(inbox)", "displayName": "Inbox", "parentFolderId": "\(root)", "isHidden": false}
            {"id": "\(evilFolder)", "displayName": "Pro\(esc)[31mjects\(esc)]2;title\(bel)", "parentFolderId": "\(inbox)", "isHidden": false}

            """
        let message = """
            {"id": "AAMkADhostileAAAAAA=", "receivedDateTime": "2026-11-19T10:00:00Z", "subject": "\(subject)", "bodyPreview": "x", "importance": "high", "parentFolderId": "\(inbox)", "conversationId": "c1", "isRead": false, "inferenceClassification": "focused", "body": {"contentType": "html", "content": "\(body)"}, "from": {"emailAddress": {"name": "\(sender)", "address": "evil@example.com"}}, "toRecipients": [], "flag": {"flagStatus": "notFlagged"}}

            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-hostile-\(UUID().uuidString)")
        let graph = directory.appendingPathComponent("graph")
        try FileManager.default.createDirectory(at: graph, withIntermediateDirectories: true)
        try #"{"owner": {"name": "Alex Morgan", "address": "alex.morgan@contoso.com"}, "graphRootFolderId": "\#(root)"}"#
            .write(to: directory.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        try folders.write(to: graph.appendingPathComponent("folders.jsonl"), atomically: true, encoding: .utf8)
        try message.write(to: graph.appendingPathComponent("messages.jsonl"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test func escapeSequencesInMailAreShownInertAndNeverEmitted() async throws {
        let corpus = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: corpus) }
        let otter = try PTYProcess(executable: try otterExecutableURL().path, arguments: ["demo", "--mailbox", corpus.path],
                                   environment: try DemoEndToEndTests.environment(), width: 100, height: 30)
        defer { otter.terminate() }
        try await otter.waitFor(timeout: .seconds(90), description: "the hostile message, sanitised, in list and preview") { screen in
            screen.contains("␛]52;c;cm0gLXJmIH4=␇Invoice ␛[2J") && screen.contains("Evil␛]0;pwned␇ Corp")
                && screen.contains("Pro␛[31mjects") && screen.contains("Click ␛]8;;https://evil.example")
                && screen.lines[29].contains("1 of 1")
        }
        // The bidi override is gone, so the spoofed extension reads as it really is.
        #expect(otter.screen.contains("fdp.exe") && !otter.screen.contains("\u{202E}"))
        #expect(otter.screen.oscSequences.isEmpty)
        #expect(otter.screen.isAlternateScreen)          // ESC[?1049l in the body did not leave it
        try otter.send("q")
        #expect(try await otter.waitForExit(timeout: .seconds(20)) == 0)
        #expect(otter.screen.oscSequences.isEmpty)
        #expect(!otter.transcriptText.contains("\u{1B}]"))
    }
}
