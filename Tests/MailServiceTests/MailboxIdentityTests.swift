import Foundation
import GraphEmulator
import MailCore
import MailService
import Testing

/// The status line names the mailbox by its address, learnt from Graph on the first round.
@Suite struct MailboxIdentityTests {
    @Test func theFirstRoundLearnsTheAddressAndLaterRoundsDoNotAskAgain() async throws {
        let f = try await SyncTests.Fixture.start(messages: 40)
        defer { Task { await f.server.stop() } }
        #expect(f.service.mailboxAddress == nil)
        try await f.service.syncAll()
        #expect(f.service.mailboxAddress == f.mailbox.owner.address)

        func meRequests() -> Int {
            f.server.requestCounts().filter { $0.key.hasSuffix("/me") }.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        }
        let asked = meRequests()
        #expect(asked >= 1)
        try await f.service.syncAll()
        #expect(meRequests() == asked)
    }
}
