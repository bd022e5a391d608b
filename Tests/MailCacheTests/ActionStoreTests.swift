import Foundation
import MailCache
import MailCore
import Testing

@Suite struct ActionStoreTests {
    let m1 = MessageID("m1"), m2 = MessageID("m2")

    @Test func actionsKeepTheirOrderAndSurviveReopening() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("otter-outbox-\(UUID().uuidString)/pending.sqlite")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            let store = try ActionStore.open(at: url)
            try store.append(.markRead(true), on: m1, undo: .markRead(false))
            try store.append(.move(to: FolderID("archive")), on: m2, undo: .move(to: FolderID("inbox")))
            try store.append(.flag(.flagged), on: m1, undo: .flag(.notFlagged))
        }
        let reopened = try ActionStore.open(at: url)
        let pending = try reopened.pending()
        #expect(pending.map(\.action) == [.markRead(true), .move(to: FolderID("archive")), .flag(.flagged)])
        #expect(pending.map(\.messageID) == [m1, m2, m1])
        #expect(pending[1].undo == .move(to: FolderID("inbox")))
    }

    @Test func oppositeActionsCancelOutAndLaterOnesReplaceEarlierOnes() throws {
        let store = try ActionStore.inMemory()
        try store.append(.markRead(true), on: m1, undo: .markRead(false))
        #expect(try store.append(.markRead(false), on: m1, undo: .markRead(true)) == nil)
        #expect(try store.count == 0)
        // flagged then complete: one action, complete, whose undo is still the original state.
        try store.append(.flag(.flagged), on: m1, undo: .flag(.notFlagged))
        let merged = try #require(try store.append(.flag(.complete), on: m1, undo: .flag(.flagged)))
        #expect(try store.pending() == [merged])
        #expect(merged.action == .flag(.complete) && merged.undo == .flag(.notFlagged))
        // Different messages and different kinds never coalesce.
        try store.append(.flag(.flagged), on: m2, undo: .flag(.notFlagged))
        try store.append(.markRead(true), on: m1, undo: .markRead(false))
        #expect(try store.count == 3)
    }

    @Test func theActionBeingSentIsNeverRewritten() throws {
        let store = try ActionStore.inMemory()
        let sending = try #require(try store.append(.markRead(true), on: m1, undo: .markRead(false)))
        // While it is on the wire, the opposite action must go out after it, not erase it.
        try store.append(.markRead(false), on: m1, undo: .markRead(true), sendingSequence: sending.sequence)
        #expect(try store.pending().map(\.action) == [.markRead(true), .markRead(false)])
    }
}
