import Foundation
import MailCache
import MailCore
import MailService
import Testing
@testable import ViewModels

/// The bulk selection (`x`, `*a`, `*n`, `*r`, `*u`) that triage keys act on.
@Suite struct BulkSelectionTests {
    func model(messages: Int = 200) async throws -> MessageListModel {
        let model = MessageListModel(service: try offlineService(cache: try mailbox(messages: messages)))
        await model.setViewportHeight(10)
        await model.show(folder: inboxID, name: "Inbox", isInbox: false)
        return model
    }

    @Test func withoutASelectionTriageActsOnTheMessageUnderTheCursor() async throws {
        let model = try await model()
        await model.move(by: 2)
        #expect(await model.actionTargets() == [MessageID("m197")])
        #expect(await model.snapshot.checkedCount == 0)
    }

    @Test func xTogglesTheMessageUnderTheCursorAndTheSelectionSurvivesScrolling() async throws {
        let model = try await model()
        await model.toggleChecked()          // m199
        await model.move(by: 3)
        await model.toggleChecked()          // m196
        var s = await model.snapshot
        #expect(s.checkedCount == 2)
        #expect(s.rows.filter(\.isChecked).map(\.id) == [MessageID("m199"), MessageID("m196")])
        await model.moveToBottom()           // both scroll out of the window
        #expect(Set(await model.actionTargets()) == [MessageID("m199"), MessageID("m196")])
        await model.moveToTop()
        await model.toggleChecked()          // m199 out again
        s = await model.snapshot
        #expect(s.checkedCount == 1 && s.rows.filter(\.isChecked).map(\.id) == [MessageID("m196")])
    }

    @Test func selectAllReadUnreadAndNone() async throws {
        let model = try await model(messages: 5_000)
        await model.checkAll()
        #expect(await model.snapshot.checkedCount == 5_000)
        #expect(await model.snapshot.rows.allSatisfy(\.isChecked))
        // The fixture makes even-numbered messages read.
        await model.checkAll(isRead: false)
        #expect(await model.snapshot.checkedCount == 2_500)
        #expect(await model.actionTargets().allSatisfy { Int($0.rawValue.dropFirst())! % 2 == 1 })
        await model.checkAll(isRead: true)
        #expect(await model.actionTargets().allSatisfy { Int($0.rawValue.dropFirst())! % 2 == 0 })
        await model.uncheckAll()
        #expect(await model.snapshot.checkedCount == 0)
        #expect(await model.actionTargets() == [MessageID("m4999")])
    }

    @Test func anotherFolderStartsWithoutASelection() async throws {
        let model = try await model()
        await model.checkAll()
        await model.show(folder: archiveID, name: "Archive", isInbox: false)
        #expect(await model.snapshot.checkedCount == 0)
    }
}
