import Foundation
import MailCore
import Testing
@testable import ViewModels

@Suite struct IDMigrationStatusTests {
    @Test func theStatusLineCountsMessageIdsBeingUpdated() async {
        #expect(StatusModel.describe(.updatingMessageIDs(done: 3_000, total: 100_000)) == "updating message ids \(3_000.formatted())/\(100_000.formatted())")
        let model = StatusModel(account: "a")
        await model.update(.updatingMessageIDs(done: 0, total: 10))
        let snapshot = await model.snapshot
        #expect(snapshot.isBusy && !snapshot.isError)
        #expect(snapshot.activity.hasPrefix("updating message ids 0/10"))
    }
}
