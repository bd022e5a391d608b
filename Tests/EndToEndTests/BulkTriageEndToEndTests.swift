import Foundation
import GraphEmulator
import MailCore
import Testing

/// Bulk selection and triage in the real `otter demo`, driven through a pseudo-terminal.
@Suite(.serialized) struct BulkTriageEndToEndTests {
    typealias Demo = DemoEndToEndTests

    @Test func selectingSeveralMessagesAndMarkingThemReadAtOnce() async throws {
        let expected = await Demo.expected()
        let otter = try PTYProcess(executable: try otterExecutableURL().path,
                                   arguments: ["demo", "--messages", "\(Demo.messageCount)", "--seed", "\(Demo.seed)"],
                                   environment: try Demo.environment(), width: 110, height: 30)
        defer { otter.terminate() }
        let status = 29
        try await otter.waitFor(timeout: .seconds(90), description: "the Inbox, synced") { screen in
            screen.lines[status].contains("Inbox · Focused  1 of") && screen.lines[status].contains("synced")
        }
        let unreadBefore = try #require(Self.unreadCount(otter.screen.lines[status]))

        // x on the first two rows: both carry the selection marker, the status line counts them.
        try otter.send("x")
        try otter.send("j")
        try otter.send("x")
        try await otter.waitFor(description: "two messages selected") { screen in
            screen.lines[status].contains("2 selected") && screen.lines[2].contains("*") && screen.lines[3].contains("*")
        }

        // I marks both read at once: the unread count drops by those of the two that were unread.
        try otter.send("I")
        let newlyRead = expected.inboxFocused.prefix(2).filter { !$0.isRead }.count
        try await otter.waitFor(description: "both marked read") { screen in
            screen.lines[status].contains("mark-read: 2 messages")
                && Self.unreadCount(screen.lines[status]) == unreadBefore - newlyRead
        }

        // *a selects the whole Focused tab, *n nothing.
        try otter.send("*a")
        let focusedCount = expected.inboxFocused.count
        try await otter.waitFor(description: "the whole tab selected") { screen in
            screen.lines[status].contains("\(Self.grouped(focusedCount)) selected")
        }
        try otter.send("*n")
        try await otter.waitFor(description: "nothing selected") { !$0.lines[status].contains("selected") }

        try otter.send("q")
        #expect(try await otter.waitForExit(timeout: .seconds(20)) == 0)
    }

    static func grouped(_ n: Int) -> String {
        var digits = String(n)
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        return ([digits] + groups).joined(separator: ",")
    }

    @Test func searchingTheCacheShowsResultsLikeAFolderAndGoesBack() async throws {
        let expected = await Demo.expected()
        let otter = try PTYProcess(executable: try otterExecutableURL().path,
                                   arguments: ["demo", "--messages", "\(Demo.messageCount)", "--seed", "\(Demo.seed)"],
                                   environment: try Demo.environment(), width: 110, height: 30)
        defer { otter.terminate() }
        let status = 29
        try await otter.waitFor(timeout: .seconds(90), description: "the Inbox, synced") { screen in
            screen.lines[status].contains("Inbox · Focused  1 of") && screen.lines[status].contains("synced")
        }
        // A distinctive word of a message further down the list.
        let target = expected.inboxFocused[20]
        let words: [String] = target.subject.split(whereSeparator: { !$0.isLetter }).map(String.init)
        let word = try #require(words.filter { $0.count >= 5 }.max { $0.count < $1.count })

        try otter.send("/")
        try otter.send(word)
        try await otter.waitFor(description: "the prompt with the word") { $0.lines[status].contains("/" + word) }
        try otter.send(keys: .enter)
        try await otter.waitFor(description: "the results") { screen in
            screen.lines[status].contains("Search: \(word)  1 of") && screen.contains(Demo.visiblePrefix(target.subject, 10))
        }

        // u goes back to the folder the search started from.
        try otter.send("u")
        try await otter.waitFor(description: "back to the Inbox") { $0.lines[status].contains("Inbox · Focused  1 of") }

        // A search that cannot be parsed says why and leaves the list alone.
        try otter.send("/is:sleepy")
        try otter.send(keys: .enter)
        try await otter.waitFor(description: "the reason") { screen in
            screen.lines[status].contains("unknown is:sleepy") && screen.lines[status].contains("Inbox · Focused")
        }
        try otter.send("q")
        #expect(try await otter.waitForExit(timeout: .seconds(20)) == 0)
    }

    /// The Inbox's unread count from the status line's "· 1,234 unread".
    static func unreadCount(_ statusLine: String) -> Int? {
        guard let range = statusLine.range(of: #"· [\d,]+ unread"#, options: .regularExpression) else { return nil }
        return Int(statusLine[range].dropFirst(2).dropLast(7).replacingOccurrences(of: ",", with: ""))
    }
}
