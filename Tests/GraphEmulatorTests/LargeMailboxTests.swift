import Foundation
import GraphEmulator
import Testing

/// Measures the 100,000-message case. The figures are printed, not asserted: timing depends
/// on the machine and build configuration; correctness at that size is asserted.
@Suite("Large mailbox")
struct LargeMailboxTests {
    static func residentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f ms", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }

    /// Generates and indexes; the generator's output is released on return, so the RSS
    /// measured afterwards is the mailbox's own.
    static func build(_ clock: ContinuousClock) throws -> (Mailbox, Duration, Duration) {
        var content: MailboxContent?
        let generation = clock.measure { content = MailboxGenerator(messageCount: 100_000, seed: 1).generate() }
        let generated = try #require(content)
        #expect(generated.messages.count == 100_000)
        #expect(generated.messages.filter { $0.flag.status != .notFlagged }.count == 5_000)
        #expect(generated.messages.filter { !$0.isRead }.count == 30_000)
        #expect(generated.messages.filter(\.hasAttachments).count == 10_000)
        var built: Mailbox?
        let indexing = clock.measure { built = Mailbox(content: generated) }
        return (try #require(built), generation, indexing)
    }

    @Test("100,000 messages: generation, indexing and a 1,000-envelope delta page")
    func hundredThousand() async throws {
        let clock = ContinuousClock()
        let before = Self.residentMegabytes()
        let (mailbox, generation, indexing) = try Self.build(clock)
        let after = Self.residentMegabytes()

        try await withEmulator(mailbox: mailbox) { emulator in
            let envelope = "$select=subject,from,receivedDateTime,isRead,flag,hasAttachments,bodyPreview,importance,inferenceClassification,conversationId,parentFolderId"
            let prefer = ["Prefer": "odata.maxpagesize=1000"]
            var pageTimes: [Duration] = []
            var link = "/v1.0/me/mailFolders/inbox/messages/delta?\(envelope)"
            var seen = 0
            for _ in 0..<5 {
                var response: TestResponse?
                let duration = try await clock.measure {
                    response = try await emulator.get(link, headers: prefer)
                }
                let page = try #require(response)
                #expect(page.status == 200)
                let items = try page.items()
                #expect(items.count == 1000)
                seen += items.count
                pageTimes.append(duration)
                link = try #require(try page.json()["@odata.nextLink"] as? String)
            }
            #expect(seen == 5000)
            let text = pageTimes.map(Self.milliseconds).joined(separator: ", ")
            print("""
                [GraphEmulator] 100,000 messages: generated in \(Self.milliseconds(generation)), indexed in \
                \(Self.milliseconds(indexing)); RSS \(before.map { String(format: "%.0f", $0) } ?? "?") → \
                \(after.map { String(format: "%.0f", $0) } ?? "?") MiB; 1,000-envelope delta pages over HTTP: \(text)
                """)
        }
    }
}
