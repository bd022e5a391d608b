import Foundation
import MailCore
import MailService
import Terminal
import ViewModels

/// The front end's event loop: keys → keymap → intents to the view-model actors; snapshots
/// from the actors → one coalesced render per main-queue turn. Everything here runs on the
/// MainActor, the only place curses is touched (through `TerminalScreen`).
@MainActor
public final class AppController {
    private let terminal: TerminalScreen
    private let service: MailService
    private let folderTree: FolderTreeModel
    private let messageList: MessageListModel
    private let reader: ReaderModel
    private let status: StatusModel
    private let keymap: Keymap
    private let renderer: ScreenRenderer
    private var state = ScreenState()
    private var pending: [Key] = []
    private var renderScheduled = false
    private var shownFolder: FolderID?
    private var requestedMessage: MessageID?
    private var mailboxAddress: String?
    private var tasks: [Task<Void, Never>] = []
    private var quitContinuation: CheckedContinuation<Int32, Never>?
    private var exitCode: Int32?
    private let intents: AsyncStream<@Sendable () async -> Void>.Continuation
    private let intentStream: AsyncStream<@Sendable () async -> Void>

    public init(terminal: TerminalScreen, service: MailService, account: String, keymap: Keymap, theme: Theme,
                notices: [String] = []) {
        self.terminal = terminal
        self.service = service
        self.keymap = keymap
        folderTree = FolderTreeModel(service: service)
        messageList = MessageListModel(service: service)
        reader = ReaderModel(service: service)
        status = StatusModel(account: account)
        renderer = ScreenRenderer(theme: theme, keymap: keymap)
        (intentStream, intents) = AsyncStream.makeStream()
        state.status = StatusSnapshot(account: TextSanitizer.oneLine(account))
        if let first = notices.first {
            state.notice = TextSanitizer.oneLine(notices.count == 1 ? first : "\(first) (+\(notices.count - 1) more in the log)")
        }
    }

    /// Runs until the user quits or a terminating signal arrives; returns the exit code.
    public func run() async -> Int32 {
        startFollowingModels()
        updateViewport()
        terminal.start { [weak self] event in self?.handle(event) }
        invalidate()
        let code = await withCheckedContinuation { quitContinuation = $0 }
        tasks.forEach { $0.cancel() }
        intents.finish()
        return code
    }

    private func startFollowingModels() {
        let intentStream = self.intentStream
        // One consumer applies intents in key order; separate Tasks could reorder j, j, k.
        tasks.append(Task { for await intent in intentStream { await intent() } })
        let (folderTree, messageList, reader, status, service) = (folderTree, messageList, reader, status, service)
        tasks.append(Task { await status.follow(service.activity) })
        tasks.append(Task { await folderTree.start() })
        tasks.append(Task { [weak self] in
            for await snapshot in folderTree.snapshots { self?.apply(snapshot) }
        })
        tasks.append(Task { [weak self] in
            for await snapshot in messageList.snapshots { self?.apply(snapshot) }
        })
        tasks.append(Task { [weak self] in
            for await snapshot in reader.snapshots { self?.apply(snapshot) }
        })
        tasks.append(Task { [weak self] in
            for await snapshot in status.snapshots { self?.apply(snapshot) }
        })
        // A refused action stays on the status line until the next key, whatever the sync says.
        tasks.append(Task { [weak self] in
            for await refusal in service.actionFailures { self?.showNotice(TextSanitizer.oneLine(refusal)) }
        })
    }

    private func send(_ intent: @escaping @Sendable () async -> Void) {
        intents.yield(intent)
    }

    // MARK: Snapshots

    private func apply(_ snapshot: FolderTreeSnapshot) {
        state.folders = snapshot
        if let folder = snapshot.selected, folder.id != shownFolder {
            shownFolder = folder.id
            let (list, service) = (messageList, service)
            send {
                await list.show(folder: folder.id, name: folder.name, isInbox: folder.wellKnown == .inbox)
                await service.setActiveFolder(folder.id)
            }
        }
        invalidate()
    }

    private func apply(_ snapshot: MessageListSnapshot) {
        state.list = snapshot
        let selected = snapshot.selectedRow?.id
        if selected != requestedMessage {
            requestedMessage = selected
            let (list, reader) = (messageList, reader)
            send {
                let following = await list.selectionAndFollowing(3)
                await reader.show(selected, upcoming: Array(following.dropFirst()))
            }
        }
        invalidate()
    }

    private func apply(_ snapshot: ReaderSnapshot) {
        if snapshot.messageID != state.reader.messageID { state.readerScroll = 0 }
        state.reader = snapshot
        invalidate()
    }

    private func apply(_ snapshot: StatusSnapshot) {
        state.status = snapshot
        // The mailbox's address once a sync round has learnt it, rather than the --account name.
        if mailboxAddress == nil { mailboxAddress = service.mailboxAddress }
        if let mailboxAddress { state.status.account = mailboxAddress }
        invalidate()
    }

    // MARK: Events

    private func handle(_ event: TerminalEvent) {
        switch event {
        case .key(let key):
            handleKey(key)
        case .resize:
            updateViewport()
            invalidate()
        case .terminate(let signal):
            quit(code: 128 + signal)
        }
    }

    private func handleKey(_ key: Key) {
        state.notice = nil
        if var prompt = state.prompt {
            switch prompt.handle(key) {
            case .editing: state.prompt = prompt
            case .cancel: state.prompt = nil
            case .submit(let text):
                state.prompt = nil
                search(text)
            }
            invalidate()
            return
        }
        if state.mode == .help {
            handleHelpKey(key)
            return
        }
        pending.append(key)
        let context: KeyContext = state.mode == .reader ? .reader : state.focus.context
        switch keymap.resolve(pending, in: context) {
        case .pending:
            state.pendingKeys = KeyNotation.format(pending)
        case .unbound:
            pending = []
            state.pendingKeys = ""
        case .action(let action):
            pending = []
            state.pendingKeys = ""
            perform(action)
        }
        invalidate()
    }

    private func handleHelpKey(_ key: Key) {
        let maxScroll = max(0, renderer.helpLineCount() - layout.body.height)
        switch key {
        case .escape, .character("q"), .character("?"), .character("u"): state.mode = .panes
        case .character("j"), .down: state.helpScroll = min(maxScroll, state.helpScroll + 1)
        case .character("k"), .up: state.helpScroll = max(0, state.helpScroll - 1)
        case .pageDown, .character(" "): state.helpScroll = min(maxScroll, state.helpScroll + layout.body.height)
        case .pageUp: state.helpScroll = max(0, state.helpScroll - layout.body.height)
        default: break
        }
        invalidate()
    }

    private var layout: ScreenLayout {
        let size = terminal.size
        return ScreenLayout(width: size.width, height: size.height)
    }

    /// The panes that exist at this size, in Tab order.
    private var availablePanes: [Pane] {
        let layout = self.layout
        return Pane.allCases.filter { pane in
            switch pane {
            case .folders: layout.folders != nil
            case .list: true
            case .preview: layout.preview != nil
            }
        }
    }

    private func perform(_ action: Action) {
        let (folders, list, service) = (folderTree, messageList, service)
        let readerMode = state.mode == .reader
        let target: Pane = readerMode ? .preview : state.focus
        switch action {
        case .quit:
            quit(code: 0)
        case .help:
            state.mode = .help
            state.helpScroll = 0
        case .nextPane, .prevPane, .paneLeft, .paneRight:
            guard !readerMode else { return }
            let panes = availablePanes
            let index = panes.firstIndex(of: state.focus) ?? 0
            switch action {
            case .nextPane: state.focus = panes[(index + 1) % panes.count]
            case .prevPane: state.focus = panes[(index + panes.count - 1) % panes.count]
            case .paneLeft: state.focus = panes[max(0, index - 1)]
            default: state.focus = panes[min(panes.count - 1, index + 1)]
            }
        case .down, .up, .pageDown, .pageUp, .halfPageDown, .halfPageUp, .top, .bottom, .scrollDown, .scrollUp:
            move(action, in: target)
        case .open:
            switch target {
            case .folders: state.focus = .list
            case .list, .preview:
                if state.reader.messageID != nil { state.mode = .reader }
            }
        case .back:
            if readerMode {
                state.mode = .panes
            } else if state.focus == .preview {
                state.focus = .list
            } else if state.list.isSearch {
                send { await list.endSearch() }
            }
        case .search:
            state.prompt = LineEditor(label: "/")
        case .toggleFolder:
            send { await folders.toggleExpanded() }
        case .toggleFocusedOther:
            if state.list.tab == nil {
                state.notice = "Focused/Other applies to the Inbox (gi goes there)"
            } else {
                send { await list.toggleTab() }
            }
        case .nextMessage:
            send { await list.move(by: 1) }
        case .prevMessage:
            send { await list.move(by: -1) }
        case .goFolder(let wellKnown):
            state.mode = .panes
            send { await folders.select(wellKnown: wellKnown) }
        case .markRead, .markUnread, .toggleFlag, .delete, .archive, .junk:
            triage(action)
        case .toggleSelect:
            send { await list.toggleChecked() }
        case .selectAll:
            send { await list.checkAll() }
        case .selectNone:
            send { await list.uncheckAll() }
        case .selectRead:
            send { await list.checkAll(isRead: true) }
        case .selectUnread:
            send { await list.checkAll(isRead: false) }
        case .sync:
            Task {
                do { try await service.syncAll() } catch {
                    // The status line already shows the failure (StatusModel).
                }
            }
        }
    }

    /// Triage on the bulk selection, or on the message under the cursor when nothing is
    /// selected. The outbox makes it durable and shows it at once; a failure to even record it
    /// is said in the status line, never dropped silently.
    private func triage(_ action: Action) {
        let (service, list) = (self.service, messageList)
        send { [weak self] in
            let ids = await list.actionTargets()
            guard !ids.isEmpty else {
                await MainActor.run { self?.showNotice("no message selected") }
                return
            }
            let notice: String?
            do {
                let missing: [MessageID]
                switch action {
                case .markRead: missing = try await service.perform(.markRead(true), on: ids)
                case .markUnread: missing = try await service.perform(.markRead(false), on: ids)
                case .toggleFlag:
                    // Like Outlook: flag them all unless every one is flagged already.
                    let allFlagged = ids.allSatisfy { (try? service.message($0))??.flag == .flagged }
                    missing = try await service.perform(.flag(allFlagged ? .notFlagged : .flagged), on: ids)
                case .delete: missing = try await service.move(ids, to: .deleteditems)
                case .archive: missing = try await service.move(ids, to: .archive)
                case .junk: missing = try await service.move(ids, to: .junkemail)
                default: return
                }
                // Moved messages have left the list; a selection of them would be invisible.
                if [.delete, .archive, .junk].contains(action) { await list.uncheckAll() }
                if !missing.isEmpty {
                    notice = "\(action.name): \(TextLayout.grouped(ids.count - missing.count)) of \(TextLayout.grouped(ids.count)) "
                        + "messages; \(TextLayout.grouped(missing.count)) had just been removed by a sync and were left alone"
                } else {
                    notice = ids.count > 1 ? "\(action.name): \(TextLayout.grouped(ids.count)) messages" : nil
                }
            } catch {
                notice = TextSanitizer.oneLine("could not \(action.name): \(error)")
            }
            if let notice { await MainActor.run { self?.showNotice(notice) } }
        }
    }

    /// Runs a search typed at the prompt and shows its results in the list pane.
    private func search(_ text: String) {
        guard !text.allSatisfy(\.isWhitespace) else { return }
        let query: MessageQuery
        do {
            // The whole mailbox, as Outlook and notmuch search by default.
            query = MessageQuery(folderID: nil, search: try MessageSearch(text))
        } catch {
            state.notice = TextSanitizer.oneLine("search: \(error)")
            return
        }
        state.mode = .panes
        state.focus = .list
        let list = messageList
        let title = "Search: " + text
        send { await list.showSearch(query, title: title) }
    }

    private func showNotice(_ message: String) {
        state.notice = message
        invalidate()
    }

    private func move(_ action: Action, in pane: Pane) {
        let (folders, list) = (folderTree, messageList)
        switch pane {
        case .folders:
            switch action {
            case .down, .scrollDown: send { await folders.move(by: 1) }
            case .up, .scrollUp: send { await folders.move(by: -1) }
            case .pageDown, .halfPageDown: send { await folders.move(by: 10) }
            case .pageUp, .halfPageUp: send { await folders.move(by: -10) }
            case .top: send { await folders.moveToTop() }
            case .bottom: send { await folders.moveToBottom() }
            default: break
            }
        case .list:
            let half = max(1, layout.listRows / 2)
            switch action {
            case .down, .scrollDown: send { await list.move(by: 1) }
            case .up, .scrollUp: send { await list.move(by: -1) }
            case .pageDown: send { await list.page(by: 1) }
            case .pageUp: send { await list.page(by: -1) }
            case .halfPageDown: send { await list.move(by: half) }
            case .halfPageUp: send { await list.move(by: -half) }
            case .top: send { await list.moveToTop() }
            case .bottom: send { await list.moveToBottom() }
            default: break
            }
        case .preview:
            let rect = state.mode == .reader ? layout.body : (layout.preview ?? layout.body)
            let page = max(1, rect.height - 7)
            let limit = renderer.maxReaderScroll(state, in: rect)
            switch action {
            case .down, .scrollDown: state.readerScroll += 1
            case .up, .scrollUp: state.readerScroll -= 1
            case .pageDown: state.readerScroll += page
            case .pageUp: state.readerScroll -= page
            case .halfPageDown: state.readerScroll += page / 2
            case .halfPageUp: state.readerScroll -= page / 2
            case .top: state.readerScroll = 0
            case .bottom: state.readerScroll = limit
            default: break
            }
            state.readerScroll = min(max(0, state.readerScroll), limit)
        }
    }

    private func updateViewport() {
        let rows = layout.listRows
        if !availablePanes.contains(state.focus) { state.focus = .list }
        let list = messageList
        send { await list.setViewportHeight(rows) }
    }

    private func quit(code: Int32) {
        guard exitCode == nil else { return }
        exitCode = code
        terminal.restore()
        quitContinuation?.resume(returning: code)
        quitContinuation = nil
    }

    // MARK: Rendering

    /// Marks the screen dirty; the frame is drawn once after everything queued on the main
    /// queue (a burst of keys, several snapshots) has been handled.
    private func invalidate() {
        guard !renderScheduled, exitCode == nil else { return }
        renderScheduled = true
        DispatchQueue.main.async { [weak self] in
            MainActor.assumeIsolated { self?.renderNow() }
        }
    }

    private func renderNow() {
        renderScheduled = false
        guard exitCode == nil else { return }
        let size = terminal.size
        state.now = Date()
        terminal.render(renderer.render(state, width: size.width, height: size.height))
    }
}

