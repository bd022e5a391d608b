import Foundation
import MailCache
import MailCore
import MailService
import Testing
@testable import ViewModels

@Suite struct MessageListModelTests {
    @Test func showsNewestFirstInTheFocusedTabOfTheInbox() async throws {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: 1_000)))
        await model.setViewportHeight(20)
        await model.show(folder: inboxID, name: "Inbox", isInbox: true)
        let snapshot = await model.snapshot
        #expect(snapshot.tab == .focused)
        #expect(snapshot.total == 900)
        #expect(snapshot.rows.count == 20)
        #expect(snapshot.rows.first?.subject == "Subject 999")
        #expect(snapshot.rows.contains { $0.subject == "Subject 990" } == false)   // 990 is Other
        #expect(snapshot.selectedIndex == 0)
    }

    @Test func movingPagingAndJumpingAcrossTheWholeFolder() async throws {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: 5_000)))
        await model.setViewportHeight(10)
        await model.show(folder: inboxID, name: "Inbox", isInbox: false)
        for _ in 0..<25 { await model.move(by: 1) }
        var s = await model.snapshot
        #expect(s.selectedIndex == 25 && s.firstIndex == 16 && s.selectedRow?.subject == "Subject 4974")
        await model.page(by: 3)
        s = await model.snapshot
        #expect(s.selectedIndex == 52 && s.selectedRow?.subject == "Subject 4947")
        await model.moveToBottom()
        s = await model.snapshot
        #expect(s.selectedIndex == 4_999 && s.selectedRow?.subject == "Subject 0" && s.rows.count == 10)
        await model.move(by: -15)
        s = await model.snapshot
        #expect(s.selectedRow?.subject == "Subject 15" && s.firstIndex == 4_984)
        await model.moveToTop()
        s = await model.snapshot
        #expect(s.selectedIndex == 0 && s.selectedRow?.subject == "Subject 4999")
        await model.move(by: -1)
        #expect(await model.snapshot.selectedIndex == 0)
    }

    @Test func everyRowIsReachableOneStepAtATime() async throws {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: 400)))
        await model.setViewportHeight(7)
        await model.show(folder: inboxID, name: "Inbox", isInbox: false)
        var seen: [String] = []
        for _ in 0..<400 {
            if let subject = await model.snapshot.selectedRow?.subject { seen.append(subject) }
            await model.move(by: 1)
        }
        #expect(seen == (0..<400).reversed().map { "Subject \($0)" })
    }

    @Test func selectionStaysOnItsMessageWhenNewMailArrivesAbove() async throws {
        let cache = try mailbox(messages: 300)
        let model = MessageListModel(service: try offlineService(cache: cache))
        await model.setViewportHeight(10)
        await model.show(folder: inboxID, name: "Inbox", isInbox: false)
        for _ in 0..<5 { await model.move(by: 1) }
        let before = try #require(await model.snapshot.selectedRow)
        try cache.applyMessagePage(folderID: inboxID, changes: [envelope(1_000), envelope(1_001)], removed: [], cursor: nil)
        let after = try await first(model.snapshots) { $0.total == 302 }
        #expect(after.selectedRow?.id == before.id)
        #expect(after.selectedIndex == 7)
        // The list was showing its top, so it still does: the new mail is on screen.
        #expect(after.firstIndex == 0 && after.rows.first?.subject == "Subject 1001")

        // Scrolled down, the rows stay put on screen and the selection with them.
        for _ in 0..<20 { await model.move(by: 1) }
        let scrolled = await model.snapshot
        try #require(scrolled.firstIndex > 0)
        try cache.applyMessagePage(folderID: inboxID, changes: [envelope(1_002)], removed: [], cursor: nil)
        let later = try await first(model.snapshots) { $0.total == 303 }
        #expect(later.selectedRow?.id == scrolled.selectedRow?.id)
        #expect(later.firstIndex == scrolled.firstIndex + 1 && later.selectedIndex == scrolled.selectedIndex.map { $0 + 1 })
    }

    @Test func focusedOtherToggleOnlyInTheInbox() async throws {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: 100)))
        await model.show(folder: inboxID, name: "Inbox", isInbox: true)
        await model.toggleTab()
        var s = await model.snapshot
        #expect(s.tab == .other && s.total == 10 && s.rows.first?.subject == "Subject 90")
        await model.show(folder: archiveID, name: "Archive", isInbox: false)
        await model.toggleTab()
        s = await model.snapshot
        #expect(s.tab == nil && s.total == 0 && s.selectedIndex == nil)
    }

    @Test func hostileSubjectsAreSanitisedInRows() async throws {
        let cache = try mailbox(messages: 0)
        try cache.applyMessagePage(folderID: inboxID, changes: [
            EnvelopeChange(id: MessageID("evil"), subject: "Hi\u{1B}]52;c;ZXZpbA==\u{07}\u{202E}gpj.exe",
                           from: EmailAddress(name: "Bad\nActor", address: "b@x"), receivedAt: epoch),
        ], removed: [], cursor: nil)
        let model = MessageListModel(service: try offlineService(cache: cache))
        await model.show(folder: inboxID, name: "In\u{1B}[2Jbox", isInbox: false)
        let s = await model.snapshot
        let row = try #require(s.rows.first)
        for text in [row.subject, row.sender, s.folderName] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        }
        #expect(row.sender == "Bad Actor")
    }
}

@Suite struct FolderTreeModelTests {
    @Test func wellKnownFirstChildrenNestedHiddenLeftOut() async throws {
        let model = FolderTreeModel(service: try offlineService(cache: try mailbox(messages: 0)))
        await model.start()
        let s = try await first(model.snapshots) { !$0.rows.isEmpty }
        #expect(s.rows.map(\.name) == ["Inbox", "Projects", "alpha", "Zeta", "Archive", "Customers"])
        #expect(s.rows.map(\.depth) == [0, 1, 2, 2, 0, 0])
        #expect(s.selected?.name == "Inbox")
        await model.stop()
    }

    @Test func collapseExpandAndMove() async throws {
        let model = FolderTreeModel(service: try offlineService(cache: try mailbox(messages: 0)))
        await model.start()
        _ = try await first(model.snapshots) { !$0.rows.isEmpty }
        await model.move(by: 1)
        await model.toggleExpanded()     // Projects collapses
        var s = await model.snapshot
        #expect(s.rows.map(\.name) == ["Inbox", "Projects", "Archive", "Customers"])
        #expect(s.selected?.name == "Projects" && s.selected?.isExpanded == false)
        await model.moveToBottom()
        #expect(await model.snapshot.selected?.name == "Customers")
        await model.select(wellKnown: .archive)
        s = await model.snapshot
        #expect(s.selected?.name == "Archive")
        await model.stop()
    }
}

@Suite struct ReaderModelTests {
    @Test func cachedBodyLoadsWithHeadersAndSanitisedText() async throws {
        let cache = try mailbox(messages: 3)
        try cache.storeContent(MessageContent(messageID: MessageID("m1"), format: .html,
                                              body: "<p>Hello\u{1B}[31m <b>there</b></p><blockquote>quoted</blockquote>",
                                              toRecipients: [EmailAddress(name: "Alex", address: "alex@x.org")]))
        let model = ReaderModel(service: try offlineService(cache: cache))
        await model.show(MessageID("m1"))
        let s = try await first(model.snapshots) { $0.state == .loaded }
        #expect(s.subject == "Subject 1" && s.from == "Sender 1" && s.fromAddress == "s1@x.org")
        #expect(s.to == ["Alex <alex@x.org>"])
        #expect(s.body == "Hello\u{241B}[31m there\n\n> quoted")
    }

    @Test func unreachableServerIsAClearFailureNotAHang() async throws {
        let model = ReaderModel(service: try offlineService(cache: try mailbox(messages: 3)))
        await model.show(MessageID("m2"))
        let s = try await first(model.snapshots) { if case .failed = $0.state { true } else { false } }
        guard case .failed(let message) = s.state else { return }
        #expect(message.hasPrefix("could not load the message"))
        #expect(s.subject == "Subject 2")   // the header from the cache is still shown
    }
}

@Suite struct StatusModelTests {
    @Test func describesSyncActivity() {
        #expect(StatusModel.describe(.syncingMessages(folder: "Inbox", messages: 12_000)).hasPrefix("syncing Inbox… 12"))
        #expect(StatusModel.describe(.syncingFolders) == "syncing folders…")
        #expect(StatusModel.describe(.failed(message: "offline")) == "sync failed: offline")
        #expect(StatusModel.describe(.idle(lastSync: nil)) == "not synced yet")
        #expect(StatusModel.describe(.retrying(throttled: true, seconds: 12)) == "throttled, retrying in 12 s")
    }
}

@Suite struct MessageListPublishingTests {
    /// A folder that is already synced never changes, so its first snapshot must not wait for a change.
    @Test func showingAQuietFolderPublishesItAtOnce() async throws {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: 30)))
        await model.show(folder: archiveID, name: "Archive", isInbox: false)
        await model.show(folder: inboxID, name: "Inbox", isInbox: true)
        let s = try await first(model.snapshots) { $0.folderName == "Inbox" }
        #expect(s.total == 27 && s.tab == .focused)
    }
}
