import Foundation
import GraphEmulator
import Testing

@Suite("ZZ temp search timing")
struct ZZTempSearchTiming {
    @Test func timing() async throws {
        let mailbox = Mailbox(messageCount: 100_000, seed: 1)
        try await withEmulator(mailbox: mailbox) { emulator in
            let clock = ContinuousClock()
            for q in ["\"zeppelin\"", "\"budget\"", "\"subject:budget\""] {
                let start = clock.now
                let r = try await emulator.get("/v1.0/me/messages?$search=\(encoded(q))&$select=subject&$count=true")
                print("TIMING", q, clock.now - start, try r.json()["@odata.count"] ?? "")
            }
        }
    }
}
