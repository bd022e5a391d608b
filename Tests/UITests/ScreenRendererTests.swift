import Foundation
import MailCore
import Terminal
import Testing
import ViewModels
@testable import UI

/// Whole-frame snapshots as text (gitui/meli style): the renderer is a pure function of the
/// state, so every screen is checked without a terminal. Run with OTTER_RECORD_GOLDENS=1 to
/// rewrite the golden files after an intended change, then review the diff.
@MainActor
@Suite struct ScreenRendererTests {
    static let now = Date(timeIntervalSince1970: 1_795_694_400)   // 2026-11-26 12:00 UTC, a Thursday

    static func state() -> ScreenState {
        var state = ScreenState()
        state.timeZone = TimeZone(identifier: "UTC")!
        state.now = now
        func folder(_ id: String, _ name: String, depth: Int = 0, unread: Int = 0, children: Bool = false,
                    wellKnown: WellKnownFolder? = nil) -> FolderRow {
            FolderRow(id: FolderID(id), name: name, depth: depth, unreadCount: unread, totalCount: 0,
                      hasChildren: children, isExpanded: true, wellKnown: wellKnown)
        }
        state.folders = FolderTreeSnapshot(rows: [
            folder("i", "Inbox", unread: 1234, children: true, wellKnown: .inbox),
            folder("p", "Projects", depth: 1, unread: 3, children: true),
            folder("a", "Atlas", depth: 2),
            folder("d", "Drafts", wellKnown: .drafts),
            folder("s", "Sent Items", wellKnown: .sentitems),
        ], selectedIndex: 0)
        func row(_ n: Int, _ sender: String, _ subject: String, hoursAgo: Double, read: Bool = true,
                 flag: FlagStatus = .notFlagged, attachments: Bool = false, mentioned: Bool = false) -> MessageRow {
            MessageRow(MessageSummary(id: MessageID("m\(n)"), folderID: FolderID("i"), subject: subject,
                                      from: EmailAddress(name: sender, address: "x@example.com"),
                                      receivedAt: now.addingTimeInterval(-hoursAgo * 3600), isRead: read, flag: flag,
                                      hasAttachments: attachments, isMentioned: mentioned))
        }
        state.list = MessageListSnapshot(folderID: FolderID("i"), folderName: "Inbox", tab: .focused, rows: [
            row(1, "Dana Swope", "Quarterly review: numbers attached", hoursAgo: 1, read: false, attachments: true),
            row(2, "山田 太郎", "会議の議事録 🚀 launch", hoursAgo: 30, mentioned: true),
            row(3, "GitHub", "[otter] Fix a very long subject line that cannot possibly fit in the list column at all", hoursAgo: 24 * 40,
                flag: .flagged),
            row(4, "Émilie Laurent", "Re: déjeuner", hoursAgo: 24 * 400),
        ], firstIndex: 0, selectedIndex: 1, total: 4)
        state.reader = ReaderSnapshot(messageID: MessageID("m2"), subject: "会議の議事録 🚀 launch", from: "山田 太郎",
                                      fromAddress: "taro@example.jp", to: ["Alex Morgan <alex.morgan@contoso.com>"],
                                      receivedAt: now.addingTimeInterval(-30 * 3600),
                                      body: "Hello Alex,\n\nThe minutes are below. This line is long enough that it has to be wrapped by the preview pane at this width.\n\n> quoted text from the earlier message\n> second quoted line\n\nBest,\nTaro",
                                      state: .loaded)
        state.status = StatusSnapshot(account: "alex.morgan@contoso.com", activity: "synced 12:00")
        return state
    }

    func render(_ state: ScreenState, width: Int, height: Int) -> CellGrid {
        ScreenRenderer(theme: .default, keymap: .default).render(state, width: width, height: height)
    }

    @Test func threePanesAt100x30() throws {
        try Golden.check(render(Self.state(), width: 100, height: 30), named: "three-panes-100x30")
    }

    @Test func sideBySideAt170x24() throws {
        try Golden.check(render(Self.state(), width: 170, height: 24), named: "side-by-side-170x24")
    }

    @Test func fullScreenReader() throws {
        var state = Self.state()
        state.mode = .reader
        state.reader.attachments = ["minutes.pdf (application/pdf, 1.2 MB)", "Re: agenda (attached item, 32 KB)"]
        try Golden.check(render(state, width: 80, height: 20), named: "reader-80x20")
    }

    @Test func aLongAttachmentListTakesFourHeaderRows() {
        var state = Self.state()
        state.mode = .reader
        state.reader.attachments = (1...9).map { "scan-\($0).png (image/png, 80 KB)" }
        let lines = render(state, width: 80, height: 20).textLines()
        let first = try! #require(lines.firstIndex { $0.contains("Attach:  scan-1.png (image/png, 80 KB)") })
        #expect(lines[first + 1].contains("scan-2.png") && lines[first + 2].contains("scan-3.png"))
        #expect(lines[first + 3].contains("and 6 more"))
        #expect(!lines.contains { $0.contains("scan-4.png") })
        // Four attachments fit in the four rows without a summary.
        state.reader.attachments = Array(state.reader.attachments.prefix(4))
        let four = render(state, width: 80, height: 20).textLines()
        #expect(four.contains { $0.contains("scan-4.png") } && !four.contains { $0.contains("more") })
    }

    @Test func otherFolderPendingKeysAndHelp() throws {
        var state = Self.state()
        state.list = MessageListSnapshot(folderID: FolderID("s"), folderName: "Sent Items", rows: [], total: 0)
        state.reader = ReaderSnapshot()
        state.pendingKeys = "g"
        state.focus = .folders
        try Golden.check(render(state, width: 80, height: 12), named: "empty-folder-80x12")
        state.mode = .help
        try Golden.check(render(state, width: 80, height: 24), named: "help-80x24")
    }

    @Test func tinyTerminalsNeverCrashAndKeepTheStatusLine() {
        for (w, h) in [(1, 1), (20, 5), (40, 3), (59, 10), (60, 11), (2, 30)] {
            let grid = render(Self.state(), width: w, height: h)
            #expect(grid.width == w && grid.height == h)
        }
        let grid = render(Self.state(), width: 20, height: 5)
        #expect(grid.row(4).contains("Inbox"))
    }

    @Test func selectedRowIsReversedOnlyWhenTheListHasFocus() {
        var state = Self.state()
        let focused = render(state, width: 100, height: 30)
        let selectedRow = 3      // title, tabs, first message, second message (selected)
        #expect(focused[selectedRow, 40].style.attributes.contains(.reverse))
        #expect(!focused[2, 40].style.attributes.contains(.reverse))
        state.focus = .folders
        let unfocused = render(state, width: 100, height: 30)
        #expect(!unfocused[selectedRow, 40].style.attributes.contains(.reverse))
        #expect(unfocused[1, 2].style.attributes.contains(.reverse))     // the selected folder instead
    }

    @Test func theSearchPromptReplacesTheStatusLineWithAVisibleCursor() {
        var state = Self.state()
        state.prompt = LineEditor(label: "/", text: "from:dana invoice")
        let grid = render(state, width: 80, height: 20)
        let status = grid.row(19)
        #expect(status.hasPrefix(" /from:dana invoice"))
        #expect(!status.contains("alex.morgan@contoso.com"))
        // The cursor is the reversed cell just past the text.
        let cursorColumn = DisplayWidth.of(" /from:dana invoice")
        let prompt = grid[19, 1].style.attributes.contains(.reverse)
        #expect(grid[19, cursorColumn].style.attributes.contains(.reverse) != prompt)
        #expect(grid[19, cursorColumn - 1].style.attributes.contains(.reverse) == prompt)
    }

    @Test func checkedRowsCarryAMarkerAndTheStatusLineCountsThem() {
        var state = Self.state()
        state.list.rows[0].isChecked = true
        state.list.rows[2].isChecked = true
        state.list.checkedCount = 2
        let lines = render(state, width: 100, height: 30).textLines()
        #expect(lines[2].dropFirst(21).hasPrefix("*") && lines[4].dropFirst(21).hasPrefix("*"))
        #expect(!lines[3].dropFirst(21).hasPrefix("*"))
        #expect(lines[29].contains("· 2 selected"))
    }

    @Test func quotedBodyLinesUseTheQuoteRole() {
        let grid = render(Self.state(), width: 100, height: 30)
        let row = try! #require(grid.textLines().firstIndex { $0.contains("> quoted text") })
        let column = grid.row(row).distance(from: grid.row(row).startIndex, to: grid.row(row).firstIndex(of: ">")!)
        #expect(grid[row, column].style.attributes.contains(.dim))
    }
}

/// Golden files of rendered screens, compared as text.
enum Golden {
    static func check(_ grid: CellGrid, named name: String, filePath: String = #filePath) throws {
        let actual = grid.textLines().joined(separator: "\n") + "\n"
        let source = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("Goldens/\(name).txt")
        if ProcessInfo.processInfo.environment["OTTER_RECORD_GOLDENS"] == "1" {
            try actual.write(to: source, atomically: true, encoding: .utf8)
            return
        }
        guard let url = Bundle.module.url(forResource: "Goldens/\(name)", withExtension: "txt"),
              let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no golden file \(name).txt; run with OTTER_RECORD_GOLDENS=1 and review it")
            return
        }
        if expected != actual {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).actual.txt")
            try? actual.write(to: out, atomically: true, encoding: .utf8)
            Issue.record("screen \(name) differs from its golden file; actual written to \(out.path)\n\(actual)")
        }
    }
}
