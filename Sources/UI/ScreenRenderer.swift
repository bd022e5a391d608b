import Foundation
import MailCore
import Terminal
import ViewModels

/// Where each part of the screen is, for a given terminal size.
public struct ScreenLayout: Equatable, Sendable {
    public struct Rect: Equatable, Sendable {
        public var row: Int, column: Int, width: Int, height: Int
    }

    public var folders: Rect?
    public var list: Rect
    public var preview: Rect?
    public var body: Rect       // everything between the title and the status line
    public var sideBySide: Bool

    /// Folder tree on the left; message list above the preview (side by side on wide screens),
    /// as in aerc and Outlook. Small terminals lose the folder tree, then the preview.
    public init(width: Int, height: Int) {
        let bodyHeight = max(0, height - 2)
        body = Rect(row: 1, column: 0, width: width, height: bodyHeight)
        let folderWidth = width >= 60 ? min(30, max(16, width / 5)) : 0
        folders = folderWidth > 0 ? Rect(row: 1, column: 0, width: folderWidth, height: bodyHeight) : nil
        let x = folderWidth > 0 ? folderWidth + 1 : 0
        let rest = max(0, width - x)
        sideBySide = width >= 160
        if sideBySide {
            let listWidth = rest * 11 / 20
            list = Rect(row: 1, column: x, width: listWidth, height: bodyHeight)
            preview = Rect(row: 1, column: x + listWidth + 1, width: max(0, rest - listWidth - 1), height: bodyHeight)
        } else if bodyHeight >= 10 {
            let listHeight = max(4, bodyHeight * 2 / 5)
            list = Rect(row: 1, column: x, width: rest, height: listHeight)
            preview = Rect(row: 1 + listHeight + 1, column: x, width: rest, height: max(0, bodyHeight - listHeight - 1))
        } else {
            list = Rect(row: 1, column: x, width: rest, height: bodyHeight)
            preview = nil
        }
    }

    /// Message rows the list shows (its first line holds the tabs or folder name).
    public var listRows: Int { max(1, list.height - 1) }
}

/// Draws a `ScreenState` into a `CellGrid`. Pure apart from a memo of wrapped bodies, so a
/// keystroke that only moves the cursor does not re-wrap a long message.
@MainActor
public final class ScreenRenderer {
    public var theme: Theme { didSet { styles = StyleCache(theme: theme) } }
    public var keymap: Keymap
    private var styles: StyleCache
    private var dateStyle: DateStyle?
    private var wrapMemo: (key: String, width: Int, lines: [String])?

    public init(theme: Theme, keymap: Keymap) {
        self.theme = theme
        self.keymap = keymap
        styles = StyleCache(theme: theme)
    }

    /// Date formatters are costly to build; one set per time zone serves every frame.
    private func dates(_ state: ScreenState) -> DateStyle {
        if let dateStyle, dateStyle.timeZone == state.timeZone { return dateStyle }
        let made = DateStyle(timeZone: state.timeZone)
        dateStyle = made
        return made
    }

    public func render(_ state: ScreenState, width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        guard width > 0, height > 0 else { return grid }
        let layout = ScreenLayout(width: width, height: height)
        let dates = self.dates(state)
        grid.fillRect(row: 0, column: 0, width: width, height: height, style: styles.style("default"))
        drawTitle(&grid, state, width: width)
        switch state.mode {
        case .panes:
            if let folders = layout.folders {
                drawFolders(&grid, state, in: folders)
                drawVerticalLine(&grid, column: folders.column + folders.width, row: folders.row, height: folders.height)
            }
            drawList(&grid, state, in: layout.list, dates: dates)
            if let preview = layout.preview {
                if layout.sideBySide {
                    drawVerticalLine(&grid, column: preview.column - 1, row: preview.row, height: preview.height)
                } else {
                    grid.put(String(repeating: "─", count: preview.width), row: preview.row - 1, column: preview.column,
                             style: styles.style("border"))
                }
                drawMessage(&grid, state, in: preview, dates: dates)
            }
        case .reader:
            drawMessage(&grid, state, in: layout.body, dates: dates)
        case .help:
            drawHelp(&grid, state, in: layout.body)
        }
        if height > 1 { drawStatus(&grid, state, row: height - 1, width: width) }
        return grid
    }

    // MARK: Title and status

    private func drawTitle(_ grid: inout CellGrid, _ state: ScreenState, width: Int) {
        let style = styles.style("title")
        grid.fill(row: 0, column: 0, width: width, style: style)
        let used = grid.put(" Otter", row: 0, column: 0, style: style, maxWidth: width)
        let hint = "? help  q quit "
        if used + DisplayWidth.of(hint) + 2 <= width {
            grid.put(hint, row: 0, column: width - DisplayWidth.of(hint), style: style)
        }
    }

    private func drawStatus(_ grid: inout CellGrid, _ state: ScreenState, row: Int, width: Int) {
        let base = styles.style("status")
        grid.fill(row: row, column: 0, width: width, style: base)
        if let prompt = state.prompt {
            drawPrompt(&grid, prompt, row: row, width: width)
            return
        }
        // Folder · tab  position of total · unread on the left; what sync is doing and the account
        // on the right, which gives way first on a narrow terminal.
        var left = " \(state.list.folderName)"
        if let tab = state.list.tab { left += " · \(tab.title)" }
        if let selected = state.list.selectedIndex {
            left += "  \(TextLayout.grouped(selected + 1)) of \(TextLayout.grouped(state.list.total))"
        } else if !state.list.folderName.isEmpty {
            left += "  empty"
        }
        if let folder = state.folders.rows.first(where: { $0.id == state.list.folderID }), folder.unreadCount > 0 {
            left += " · \(TextLayout.grouped(folder.unreadCount)) unread"
        }
        if state.list.checkedCount > 0 { left += " · \(TextLayout.grouped(state.list.checkedCount)) selected" }
        let used = grid.put(left, row: row, column: 0, style: base, maxWidth: width)
        let activityStyle = state.status.isError ? styles.style("status.error")
            : state.status.isBusy ? styles.style("status.busy") : base
        var right = state.status.activity
        if let notice = state.notice { right = notice }
        if !state.pendingKeys.isEmpty { right = state.pendingKeys + "…" }
        if !state.status.account.isEmpty { right += " │ \(state.status.account)" }
        right += " "
        let available = width - used - 2
        guard available > 3 else { return }
        let text = DisplayWidth.truncate(right, toWidth: available)
        let style = state.notice != nil ? styles.style("status.error") : activityStyle
        grid.put(text, row: row, column: width - DisplayWidth.of(text), style: style)
    }

    /// `/text` with a reversed cell as the cursor (the terminal's own cursor stays hidden).
    private func drawPrompt(_ grid: inout CellGrid, _ prompt: LineEditor, row: Int, width: Int) {
        let style = styles.style("prompt")
        grid.fill(row: row, column: 0, width: width, style: style)
        let labelWidth = grid.put(" " + prompt.label, row: row, column: 0, style: style, maxWidth: width)
        let (text, cursor) = prompt.visible(width: width - labelWidth)
        grid.put(text, row: row, column: labelWidth, style: style, maxWidth: width - labelWidth)
        let column = labelWidth + cursor
        guard column < width else { return }
        var cursorStyle = style
        cursorStyle.attributes.formSymmetricDifference(.reverse)
        var cell = grid[row, column]
        cell.style = cursorStyle
        grid[row, column] = cell
    }

    private func drawVerticalLine(_ grid: inout CellGrid, column: Int, row: Int, height: Int) {
        for r in row..<(row + height) { grid.put("│", row: r, column: column, style: styles.style("border")) }
    }

    // MARK: Folders

    private func drawFolders(_ grid: inout CellGrid, _ state: ScreenState, in rect: ScreenLayout.Rect) {
        let rows = state.folders.rows
        let selected = state.folders.selectedIndex ?? 0
        let top = max(0, min(selected - rect.height + 1, rows.count - rect.height))
        let focused = state.focus == .folders
        for (offset, folder) in rows.dropFirst(max(0, top)).prefix(rect.height).enumerated() {
            let index = max(0, top) + offset
            let isSelected = index == state.folders.selectedIndex
            let role = folder.unreadCount > 0 ? "folder.unread" : "folder"
            let style = styles.style(role, selected: isSelected, focused: focused)
            let r = rect.row + offset
            grid.fill(row: r, column: rect.column, width: rect.width, style: style)
            let marker = folder.hasChildren ? (folder.isExpanded ? "▾" : "▸") : " "
            let indent = String(repeating: "  ", count: min(folder.depth, 6))
            let count = folder.unreadCount > 0 ? " \(TextLayout.grouped(folder.unreadCount))" : ""
            let countWidth = DisplayWidth.of(count)
            let nameWidth = max(0, rect.width - countWidth - 1)
            grid.put(DisplayWidth.truncate(" \(indent)\(marker)\(folder.name)", toWidth: nameWidth), row: r,
                     column: rect.column, style: style, maxWidth: nameWidth)
            if countWidth > 0, countWidth < rect.width {
                var countStyle = styles.style("folder.count", selected: isSelected, focused: focused)
                if isSelected { countStyle.background = style.background; countStyle.attributes.formUnion(style.attributes) }
                grid.put(count, row: r, column: rect.column + rect.width - countWidth - 1, style: countStyle)
            }
        }
    }

    // MARK: List

    private func drawList(_ grid: inout CellGrid, _ state: ScreenState, in rect: ScreenLayout.Rect, dates: DateStyle) {
        guard rect.width > 0, rect.height > 0 else { return }
        let list = state.list
        // Header: the Focused/Other tabs for the Inbox, the folder name elsewhere.
        var column = rect.column
        if let tab = list.tab {
            for candidate in InboxTab.allCases {
                let style = styles.style(candidate == tab ? "tab.active" : "tab")
                column += grid.put(" \(candidate.title) ", row: rect.row, column: column, style: style,
                                   maxWidth: rect.column + rect.width - column)
            }
        } else {
            column += grid.put(" \(list.folderName)", row: rect.row, column: column, style: styles.style("tab.active"),
                               maxWidth: rect.width)
        }
        let count = list.total == 0 ? "" : "\(TextLayout.grouped(list.total)) "
        if column + DisplayWidth.of(count) < rect.column + rect.width {
            grid.put(count, row: rect.row, column: rect.column + rect.width - DisplayWidth.of(count), style: styles.style("list.date"))
        }

        let rows = rect.height - 1
        if list.rows.isEmpty {
            let text = list.folderName.isEmpty ? " Loading…" : (state.status.isBusy ? " Syncing…" : " No messages")
            if rows > 0 { grid.put(text, row: rect.row + 1, column: rect.column, style: styles.style("list.date"), maxWidth: rect.width) }
            return
        }
        let focused = state.focus == .list
        let dateWidth = 10
        let senderWidth = max(8, min(24, rect.width / 4))
        for (offset, message) in list.rows.prefix(rows).enumerated() {
            let r = rect.row + 1 + offset
            let isSelected = list.firstIndex + offset == list.selectedIndex
            let role = message.isChecked ? "list.checked"
                : message.flag == .flagged ? "list.flagged" : message.isRead ? "list" : "list.unread"
            let style = styles.style(role, selected: isSelected, focused: focused)
            grid.fill(row: r, column: rect.column, width: rect.width, style: style)
            var x = rect.column
            let end = rect.column + rect.width
            // Markers: selected for a bulk action, unread, flag, attachment, mention/importance, one cell each.
            let markers = [
                message.isChecked ? "*" : " ",
                message.isRead ? " " : "•",
                message.flag == .flagged ? "⚑" : message.flag == .complete ? "✓" : " ",
                message.hasAttachments ? "+" : " ",
                message.isMentioned ? "@" : message.importance == .high ? "!" : message.importance == .low ? "↓" : " ",
            ].joined()
            var markerStyle = styles.style("list.marker", selected: isSelected, focused: focused)
            if isSelected { markerStyle.background = style.background; markerStyle.attributes = style.attributes }
            if message.isChecked { markerStyle.background = style.background }
            x += grid.put(markers + " ", row: r, column: x, style: markerStyle, maxWidth: end - x)
            var dateStyle = styles.style("list.date", selected: isSelected, focused: focused)
            if isSelected { dateStyle = style } else if message.isChecked { dateStyle.background = style.background }
            let date = DisplayWidth.pad(dates.list(message.receivedAt, now: state.now), toWidth: dateWidth)
            x += grid.put(date + " ", row: r, column: x, style: dateStyle, maxWidth: end - x)
            guard x < end else { continue }
            x += grid.put(DisplayWidth.pad(message.sender, toWidth: senderWidth) + "  ", row: r, column: x, style: style,
                          maxWidth: end - x)
            guard x < end else { continue }
            let subject = message.subject.isEmpty ? "(no subject)" : message.subject
            grid.put(DisplayWidth.truncate(subject, toWidth: end - x - 1), row: r, column: x, style: style, maxWidth: end - x)
        }
    }

    // MARK: Message (preview pane and full-screen reader)

    /// Header rows given to attachments at most.
    static let attachmentRows = 4

    /// Header lines then the wrapped body; returns how many body lines exist (for scrolling).
    @discardableResult
    private func drawMessage(_ grid: inout CellGrid, _ state: ScreenState, in rect: ScreenLayout.Rect, dates: DateStyle) -> Int {
        guard rect.width > 2, rect.height > 0 else { return 0 }
        let reader = state.reader
        guard reader.messageID != nil else {
            let text = state.list.total == 0 ? "" : " No message selected"
            grid.put(text, row: rect.row, column: rect.column, style: styles.style("header.label"), maxWidth: rect.width)
            return 0
        }
        let lines = headerAndBodyLines(state, width: rect.width - 2, dates: dates)
        var row = rect.row
        for (label, value, role) in lines.header where row < rect.row + rect.height {
            let labelWidth = grid.put(" \(label)", row: row, column: rect.column, style: styles.style("header.label"), maxWidth: rect.width)
            grid.put(value, row: row, column: rect.column + labelWidth, style: styles.style(role), maxWidth: rect.width - labelWidth)
            row += 1
        }
        if row < rect.row + rect.height {
            grid.put(" " + String(repeating: "─", count: max(0, rect.width - 2)), row: row, column: rect.column, style: styles.style("border"))
            row += 1
        }
        let bodyRows = max(0, rect.row + rect.height - row)
        let start = min(state.readerScroll, max(0, lines.body.count - bodyRows))
        for line in lines.body.dropFirst(max(0, start)).prefix(bodyRows) {
            let role = line.hasPrefix(">") ? "body.quote" : "body"
            grid.put(" " + line, row: row, column: rect.column, style: styles.style(role), maxWidth: rect.width)
            row += 1
        }
        return lines.body.count
    }

    /// The largest useful body scroll for the message pane `rect` (so `k` after many `j`s
    /// moves at once, and G lands on the last screen).
    public func maxReaderScroll(_ state: ScreenState, in rect: ScreenLayout.Rect) -> Int {
        let lines = headerAndBodyLines(state, width: rect.width - 2, dates: dates(state))
        let bodyRows = rect.height - min(rect.height, lines.header.count + 1)
        return max(0, lines.body.count - bodyRows)
    }

    private func headerAndBodyLines(_ state: ScreenState, width: Int, dates: DateStyle)
        -> (header: [(String, String, String)], body: [String]) {
        let reader = state.reader
        var header: [(String, String, String)] = []
        let from = reader.from.isEmpty ? reader.fromAddress
            : reader.fromAddress.isEmpty ? reader.from : "\(reader.from) <\(reader.fromAddress)>"
        header.append(("From:    ", from, "header.value"))
        if !reader.to.isEmpty { header.append(("To:      ", reader.to.joined(separator: ", "), "header.value")) }
        if !reader.cc.isEmpty { header.append(("Cc:      ", reader.cc.joined(separator: ", "), "header.value")) }
        if let date = reader.receivedAt { header.append(("Date:    ", dates.reader(date), "header.value")) }
        header.append(("Subject: ", reader.subject.isEmpty ? "(no subject)" : reader.subject, "header.subject"))
        // A few attachments in full; a long list would push the body off a small pane.
        let shownAttachments = reader.attachments.count <= Self.attachmentRows ? reader.attachments.count : Self.attachmentRows - 1
        for (index, attachment) in reader.attachments.prefix(shownAttachments).enumerated() {
            header.append((index == 0 ? "Attach:  " : "         ", attachment, "header.value"))
        }
        if shownAttachments < reader.attachments.count {
            header.append(("         ", "and \(reader.attachments.count - shownAttachments) more", "header.label"))
        }
        let body: [String]
        switch reader.state {
        case .empty: body = []
        case .loading: body = ["Loading…"]
        case .failed(let message): body = [message]
        case .loaded:
            let key = "\(reader.messageID?.rawValue ?? "")#\(reader.body.count)"
            if let memo = wrapMemo, memo.key == key, memo.width == width {
                body = memo.lines
            } else {
                body = TextLayout.wrap(reader.body, width: max(1, width))
                wrapMemo = (key, width, body)
            }
        }
        return (header, body)
    }

    // MARK: Help

    private func drawHelp(_ grid: inout CellGrid, _ state: ScreenState, in rect: ScreenLayout.Rect) {
        var lines: [(String, String)] = [("Keys (from keymaps.conf; Esc, q or ? closes this help)", "")]
        let titles: [KeyContext: String] = [.global: "Everywhere", .folders: "Folder tree", .list: "Message list",
                                            .reader: "Preview and reader"]
        for context in KeyContext.allCases {
            lines.append(("", ""))
            lines.append((titles[context] ?? context.rawValue, ""))
            for binding in keymap.bindings(in: context) { lines.append(("  " + binding.keys, binding.action)) }
        }
        for (offset, line) in lines.dropFirst(state.helpScroll).prefix(rect.height).enumerated() {
            let r = rect.row + offset
            if line.1.isEmpty {
                grid.put(" " + line.0, row: r, column: rect.column, style: styles.style("header.subject"), maxWidth: rect.width)
            } else {
                grid.put(" " + DisplayWidth.pad(line.0, toWidth: 14), row: r, column: rect.column, style: styles.style("help.key"),
                         maxWidth: rect.width)
                grid.put(line.1, row: r, column: rect.column + 16, style: styles.style("help"), maxWidth: max(0, rect.width - 16))
            }
        }
    }

    public func helpLineCount() -> Int {
        KeyContext.allCases.reduce(1) { $0 + 2 + keymap.bindings(in: $1).count }
    }
}

/// Resolving a role walks every theme rule; a frame asks for the same few roles hundreds of
/// times, so each answer is kept.
@MainActor
private final class StyleCache {
    private struct Key: Hashable {
        var role: String
        var selected: Bool
        var focused: Bool
    }

    private let theme: Theme
    private var resolved: [Key: CellStyle] = [:]

    init(theme: Theme) {
        self.theme = theme
    }

    func style(_ role: String, selected: Bool = false, focused: Bool = true) -> CellStyle {
        let key = Key(role: role, selected: selected, focused: focused)
        if let style = resolved[key] { return style }
        let style = theme.style(role, selected: selected, focused: focused)
        resolved[key] = style
        return style
    }
}
