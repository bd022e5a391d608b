import Foundation
import MailCore
import MailService

/// One visible row of the message list, sanitised for display.
public struct MessageRow: Hashable, Sendable, Identifiable {
    public var id: MessageID
    public var receivedAt: Date
    public var sender: String
    public var subject: String
    public var isRead: Bool
    public var flag: FlagStatus
    public var hasAttachments: Bool
    public var importance: Importance
    public var isMentioned: Bool
    /// Part of the user's bulk selection (`x`, `*a`), as opposed to under the cursor.
    public var isChecked = false

    public init(_ m: MessageSummary) {
        id = m.id
        receivedAt = m.receivedAt
        sender = TextSanitizer.oneLine(m.from?.displayName ?? "")
        subject = TextSanitizer.oneLine(m.subject)
        isRead = m.isRead
        flag = m.flag
        hasAttachments = m.hasAttachments
        importance = m.importance
        isMentioned = m.isMentioned
    }
}

public struct MessageListSnapshot: Hashable, Sendable {
    public var folderID: FolderID?
    public var folderName: String
    /// The Focused/Other tab, for the Inbox only.
    public var tab: InboxTab?
    /// The rows on screen, starting at absolute position `firstIndex`.
    public var rows: [MessageRow]
    public var firstIndex: Int
    /// The selected row's absolute position, nil when the list is empty.
    public var selectedIndex: Int?
    public var total: Int
    /// How many messages the bulk selection holds, on screen or not.
    public var checkedCount: Int
    /// The list shows search results (`folderName` says what was searched), not a folder.
    public var isSearch = false

    public init(folderID: FolderID? = nil, folderName: String = "", tab: InboxTab? = nil, rows: [MessageRow] = [],
                firstIndex: Int = 0, selectedIndex: Int? = nil, total: Int = 0, checkedCount: Int = 0,
                isSearch: Bool = false) {
        self.folderID = folderID
        self.folderName = folderName
        self.tab = tab
        self.rows = rows
        self.firstIndex = firstIndex
        self.selectedIndex = selectedIndex
        self.total = total
        self.checkedCount = checkedCount
        self.isSearch = isSearch
    }

    public var selectedRow: MessageRow? {
        guard let selectedIndex, selectedIndex >= firstIndex, selectedIndex - firstIndex < rows.count else { return nil }
        return rows[selectedIndex - firstIndex]
    }
}

/// The message list of one folder (and tab), virtualised: it holds a window of a few screens of
/// rows around what is visible, anchored by sort key, so a 100,000-message folder costs the
/// same memory and time as a 100-message one. The window follows the cache, and the selection
/// stays on the same message when new mail arrives above it.
public actor MessageListModel {
    public nonisolated var snapshots: AsyncStream<MessageListSnapshot> { publisher.stream }
    private let publisher = SnapshotPublisher<MessageListSnapshot>()
    private let service: MailService

    private var query: MessageQuery?
    private var folderName = ""
    private var isInbox = false
    private var height = 10
    private var anchor: MessageSortKey?
    private var buffer = MessageWindow(rows: [], startIndex: 0, total: 0)
    private var topIndex = 0
    private var selectedIndex = 0
    private var selectedID: MessageID?
    private var observation: Task<Void, Never>?
    private var generation = 0
    private var lastError: String?
    /// The bulk selection: triage keys act on these when there are any. Ids, not positions, so
    /// it survives scrolling, new mail and the window moving.
    private var checked: Set<MessageID> = []
    /// While search results are shown: the folder to go back to.
    private var beforeSearch: (query: MessageQuery, name: String, isInbox: Bool)?

    public init(service: MailService) {
        self.service = service
    }

    /// Rows kept beyond the visible ones, so j/k and PgDn rarely touch the cache.
    private var bufferLimit: Int { max(60, height * 3) }

    // MARK: Intents

    public func show(folder: FolderID, name: String, isInbox: Bool) {
        let tab: InboxTab? = isInbox ? (query?.tab ?? .focused) : nil
        guard query != MessageQuery(folderID: folder, tab: tab) else { return }
        beforeSearch = nil
        self.folderName = TextSanitizer.oneLine(name)
        self.isInbox = isInbox
        reset(to: MessageQuery(folderID: folder, tab: tab))
    }

    /// Shows search results like a folder: the same paging, live updates and triage.
    /// `title` names the search for the header and the status line.
    public func showSearch(_ results: MessageQuery, title: String) {
        if beforeSearch == nil, let query { beforeSearch = (query, folderName, isInbox) }
        folderName = TextSanitizer.oneLine(title)
        isInbox = false
        reset(to: results)
    }

    /// Back from search results to the folder the search started from.
    public func endSearch() {
        guard let before = beforeSearch else { return }
        beforeSearch = nil
        folderName = before.name
        isInbox = before.isInbox
        reset(to: before.query)
    }

    /// Switches Focused/Other; only the Inbox has tabs.
    public func toggleTab() {
        guard let query, isInbox else { return }
        reset(to: MessageQuery(folderID: query.folderID, tab: (query.tab ?? .focused).toggled))
    }

    public func setViewportHeight(_ rows: Int) {
        let newHeight = max(1, rows)
        guard newHeight != height else { return }
        height = newHeight
        refresh()
    }

    public func move(by delta: Int) {
        select(selectedIndex + delta)
    }

    /// PgDn/PgUp: the selection and the view move by a screen together, as in mutt.
    public func page(by pages: Int) {
        let delta = pages * max(1, height - 1)
        topIndex += delta
        select(selectedIndex + delta)
    }

    public func moveToTop() { select(0) }
    public func moveToBottom() { select(buffer.total - 1) }

    // MARK: Bulk selection

    /// `x`: adds the message under the cursor to the selection, or takes it out.
    public func toggleChecked() {
        guard let id = rowID(at: selectedIndex) else { return }
        if checked.remove(id) == nil { checked.insert(id) }
        publisher.publish(snapshot)
    }

    /// `*a`, `*r`, `*u`: selects every message of the list, or its read or unread ones,
    /// replacing the selection (as Gmail does).
    public func checkAll(isRead: Bool? = nil) {
        guard let query else { return }
        do {
            checked = Set(try service.messageIDs(query, isRead: isRead))
        } catch {
            lastError = TextSanitizer.oneLine(String(describing: error))
        }
        publisher.publish(snapshot)
    }

    /// `*n`, and after a move took the selected messages out of the list.
    public func uncheckAll() {
        guard !checked.isEmpty else { return }
        checked = []
        publisher.publish(snapshot)
    }

    /// What a triage key acts on: the selection, or the message under the cursor when there is none.
    public func actionTargets() -> [MessageID] {
        if !checked.isEmpty { return Array(checked) }
        return rowID(at: selectedIndex).map { [$0] } ?? []
    }

    public var snapshot: MessageListSnapshot {
        let start = topIndex - buffer.startIndex
        let visible = start >= 0 && start < buffer.rows.count
            ? Array(buffer.rows[start..<min(buffer.rows.count, start + height)]) : []
        let rows = visible.map { summary in
            var row = MessageRow(summary)
            row.isChecked = checked.contains(summary.id)
            return row
        }
        return MessageListSnapshot(folderID: query?.folderID, folderName: folderName, tab: query?.tab,
                                   rows: rows, firstIndex: topIndex,
                                   selectedIndex: buffer.total == 0 ? nil : selectedIndex, total: buffer.total,
                                   checkedCount: checked.count, isSearch: beforeSearch != nil)
    }

    /// The selected message and the ones after it, for the reader and its prefetch.
    public func selectionAndFollowing(_ count: Int) -> [MessageID] {
        let start = selectedIndex - buffer.startIndex
        guard start >= 0, start < buffer.rows.count else { return [] }
        return buffer.rows[start..<min(buffer.rows.count, start + 1 + count)].map(\.id)
    }

    // MARK: Window management

    private func reset(to newQuery: MessageQuery) {
        query = newQuery
        topIndex = 0
        selectedIndex = 0
        selectedID = nil
        anchor = nil
        checked = []
        buffer = MessageWindow(rows: [], startIndex: 0, total: 0)
        load(anchor: nil)
        // Published now: the observation only reports changes, and a synced folder may not change.
        refresh()
    }

    private func select(_ index: Int) {
        // A deliberate move: the selection must not be pulled back to the previous message
        // when the window is re-anchored below.
        selectedID = nil
        selectedIndex = min(max(0, index), max(0, buffer.total - 1))
        if selectedIndex < topIndex { topIndex = selectedIndex }
        if selectedIndex >= topIndex + height { topIndex = selectedIndex - height + 1 }
        refresh()
    }

    /// Makes sure the visible rows are in the buffer (re-anchoring if not) and publishes.
    private func refresh() {
        clampTop()
        let end = min(buffer.total, topIndex + height)
        let covered = topIndex >= buffer.startIndex && end <= buffer.startIndex + buffer.rows.count
        if !covered, query != nil {
            load(anchor: anchorKey(forStart: max(0, topIndex - height)))
        }
        selectedID = rowID(at: selectedIndex)
        publisher.publish(snapshot)
    }

    private func clampTop() {
        let maxTop = max(0, buffer.total - height)
        topIndex = min(max(0, topIndex), maxTop)
        if selectedIndex < topIndex { topIndex = selectedIndex }
        if selectedIndex >= topIndex + height { topIndex = max(0, selectedIndex - height + 1) }
    }

    private func rowID(at index: Int) -> MessageID? {
        let i = index - buffer.startIndex
        return i >= 0 && i < buffer.rows.count ? buffer.rows[i].id : nil
    }

    /// The sort key of the row that should start the buffer: from the rows at hand when
    /// possible (keyset), by offset only for long jumps such as G.
    private func anchorKey(forStart start: Int) -> MessageSortKey? {
        guard start > 0, let query else { return nil }
        let i = start - buffer.startIndex
        if i >= 0, i < buffer.rows.count { return MessageSortKey(buffer.rows[i]) }
        if i < 0, -i <= bufferLimit, let first = buffer.rows.first,
           let above = try? service.rows(query, before: MessageSortKey(first), limit: -i).first {
            return MessageSortKey(above)
        }
        return try? service.key(query, atOffset: start)
    }

    private func load(anchor newAnchor: MessageSortKey?) {
        guard let query else { return }
        anchor = newAnchor
        do {
            apply(try service.window(query, from: newAnchor, limit: bufferLimit))
        } catch {
            lastError = TextSanitizer.oneLine(String(describing: error))
        }
        observe(query: query, anchor: newAnchor)
    }

    /// Follows the cache for the current window; a newer anchor supersedes older observations.
    private func observe(query: MessageQuery, anchor: MessageSortKey?) {
        observation?.cancel()
        generation += 1
        let current = generation
        let stream = service.observeWindow(query, from: anchor, limit: bufferLimit)
        observation = Task { [weak self] in
            for await window in stream {
                guard let self else { return }
                await self.receive(window, generation: current)
            }
        }
    }

    private func receive(_ window: MessageWindow, generation: Int) {
        guard generation == self.generation, window != buffer else { return }
        apply(window)
        refresh()
    }

    /// Takes a fresh window and keeps the selection on the same message if it is still there.
    /// A list showing its top keeps showing it, so new mail appears there rather than arriving
    /// unseen above the first row; scrolled down, the rows stay where they are on screen.
    private func apply(_ window: MessageWindow) {
        buffer = window
        if let selectedID, let position = window.rows.firstIndex(where: { $0.id == selectedID }) {
            let newIndex = window.startIndex + position
            if topIndex > 0 { topIndex += newIndex - selectedIndex }
            selectedIndex = newIndex
        }
        selectedIndex = min(max(0, selectedIndex), max(0, window.total - 1))
        clampTop()
    }
}
