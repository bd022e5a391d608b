import Foundation
import GraphEmulator
import Testing

@Suite("Message delta")
struct DeltaTests {
    /// Runs a delta round from `link` and returns its items and the final deltaLink.
    static func round(
        _ emulator: Emulator, _ link: String, headers: [String: String] = [:]
    ) async throws -> (items: [[String: Any]], pages: [TestResponse], deltaLink: String) {
        let pages = try await emulator.pages(link, headers: headers)
        for page in pages.dropLast() {
            #expect(try page.json()["@odata.deltaLink"] == nil)
        }
        let deltaLink = try #require(try pages.last?.json()["@odata.deltaLink"] as? String)
        return (try pages.flatMap { try $0.items() }, pages, deltaLink)
    }

    @Test("Initial round across pages, then a round with an update, a new message and @removed")
    func rounds() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 31)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let inboxMessages = snapshot.messages(inFolder: inbox.id)
            let prefer = ["Prefer": "odata.maxpagesize=25"]

            let initial = try await Self.round(
                emulator, "/v1.0/me/mailFolders/inbox/messages/delta?$select=subject,isRead,from", headers: prefer)
            #expect(initial.pages.count == (inboxMessages.count + 24) / 25)
            #expect(initial.items.compactMap { $0["id"] as? String } == inboxMessages.map(\.id))
            for item in initial.items {
                #expect(item["@odata.type"] as? String == "#microsoft.graph.message")
                #expect(item["@odata.etag"] is String)
                // The first request's $select is carried by the links to every page.
                #expect(Set(item.keys) == ["@odata.type", "@odata.etag", "id", "subject", "isRead", "from"])
            }
            let firstPage = try initial.pages[0].json()
            #expect(firstPage["@odata.context"] as? String == "\(emulator.baseURL.absoluteString)/v1.0/$metadata#Collection(message)")
            let nextLink = try #require(firstPage["@odata.nextLink"] as? String)
            #expect(nextLink.hasPrefix(emulator.baseURL.absoluteString + "/v1.0/me/mailFolders/inbox/messages/delta?$skiptoken="))
            #expect(initial.deltaLink.contains("/messages/delta?$deltatoken="))

            let quiet = try await Self.round(emulator, initial.deltaLink, headers: prefer)
            #expect(quiet.items.isEmpty)

            let toggled = inboxMessages[3]
            let movedAway = inboxMessages[5]
            let deleted = inboxMessages[8]
            try await mailbox.markRead(id: toggled.id, !toggled.isRead)
            let delivered = try await mailbox.deliver(NewMessage(
                subject: "Fresh news", from: .init(name: "Zoë Brooks", address: "zoe.brooks@fabrikam.com"),
                body: .init(contentType: .html, content: "<p>Hello</p>")))
            let moved = try await mailbox.move(id: movedAway.id, to: "archive")
            try await mailbox.delete(id: deleted.id)

            let changes = try await Self.round(emulator, quiet.deltaLink, headers: ["Prefer": "odata.maxpagesize=2"])
            #expect(changes.pages.count == 2)
            let removed = changes.items.filter { $0["@removed"] != nil }
            #expect(Set(removed.compactMap { $0["id"] as? String }) == [movedAway.id, deleted.id])
            for item in removed {
                #expect((item["@removed"] as? [String: Any])?["reason"] as? String == "deleted")
                #expect(item["@odata.type"] as? String == "#microsoft.graph.message")
            }
            let upserts = changes.items.filter { $0["@removed"] == nil }
            #expect(Set(upserts.compactMap { $0["id"] as? String }) == [toggled.id, delivered.id])
            let toggledItem = try #require(upserts.first { $0["id"] as? String == toggled.id })
            #expect(toggledItem["isRead"] as? Bool == !toggled.isRead)
            #expect(toggledItem["subject"] as? String == toggled.subject)
            #expect(upserts.first { $0["id"] as? String == delivered.id }?["subject"] as? String == "Fresh news")
            #expect(moved.id != movedAway.id)

            let after = try await Self.round(emulator, changes.deltaLink)
            #expect(after.items.isEmpty)
        }
    }

    @Test("A moved message appears in the destination folder's delta with a new id and the same immutable id")
    func destinationSeesMove() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 31)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let archive = try #require(snapshot.folder(wellKnownName: "archive"))
            let immutable = ["Prefer": "IdType=\"ImmutableId\", odata.maxpagesize=50"]
            let archiveRound = try await Self.round(
                emulator, "/v1.0/me/mailFolders/\(encoded(archive.id))/messages/delta?$select=subject", headers: immutable)
            #expect(archiveRound.items.compactMap { $0["id"] as? String } == snapshot.messages(inFolder: archive.id).map(\.immutableID))
            let inboxRound = try await Self.round(emulator, "/v1.0/me/mailFolders/inbox/messages/delta?$select=subject", headers: immutable)

            let target = try #require(snapshot.messages(inFolder: inbox.id).first)
            let moved = try await mailbox.move(id: target.id, to: archive.id)

            let arrivals = try await Self.round(emulator, archiveRound.deltaLink, headers: immutable)
            #expect(arrivals.items.count == 1)
            #expect(arrivals.items.first?["id"] as? String == target.immutableID)
            #expect(arrivals.items.first?["@removed"] == nil)
            let departures = try await Self.round(emulator, inboxRound.deltaLink, headers: immutable)
            #expect(departures.items.count == 1)
            #expect(departures.items.first?["id"] as? String == target.immutableID)
            #expect(departures.items.first?["@removed"] != nil)

            // Without the header the same round reports the new regular id.
            let regular = try await Self.round(emulator, archiveRound.deltaLink)
            #expect(regular.items.compactMap { $0["id"] as? String } == [moved.id])
            #expect(moved.id != target.id)
        }
    }

    @Test("$filter=receivedDateTime ge is kept for every round; other delta options are rejected")
    func deltaOptions() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 31)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let messages = snapshot.messages(inFolder: inbox.id)
            let cutoff = messages[20].receivedDateTime
            let stamp = ISO8601DateFormatter().string(from: cutoff)
            let filter = encoded("receivedDateTime ge \(stamp)")
            let filtered = try await Self.round(
                emulator, "/v1.0/me/mailFolders/inbox/messages/delta?$filter=\(filter)&$orderby=\(encoded("receivedDateTime desc"))&$top=6")
            let expected = messages.filter { $0.receivedDateTime >= cutoff }.map(\.id)
            #expect(filtered.items.compactMap { $0["id"] as? String } == expected)
            // $top of the first request sets the page size of the round.
            #expect(filtered.pages.count == (expected.count + 5) / 6)

            let old = try #require(messages.last)
            try await mailbox.markRead(id: old.id, !old.isRead)
            let newer = try #require(messages.first)
            try await mailbox.markRead(id: newer.id, !newer.isRead)
            let next = try await Self.round(emulator, filtered.deltaLink)
            #expect(next.items.compactMap { $0["id"] as? String } == [newer.id])

            for query in ["$filter=\(encoded("isRead eq false"))", "$orderby=\(encoded("receivedDateTime asc"))",
                          "changeType=created", "$search=\(encoded("\"pizza\""))", "$skip=3"] {
                let response = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta?\(query)")
                #expect(response.status == 400, "\(query)")
            }
        }
    }

    @Test("An unknown, altered or foreign token answers 410 SyncStateNotFound with the initial URL")
    func badTokens() async throws {
        let mailbox = Mailbox(messageCount: 100, seed: 31)
        try await withEmulator(mailbox: mailbox) { emulator in
            let bogus = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=bogus-token")
            #expect(bogus.status == 410)
            #expect(try bogus.errorCode() == "SyncStateNotFound")
            #expect(bogus.header("Location") == emulator.baseURL.absoluteString + "/v1.0/me/mailFolders/inbox/messages/delta")

            let round = try await Self.round(emulator, "/v1.0/me/mailFolders/inbox/messages/delta", headers: ["Prefer": "odata.maxpagesize=1000"])
            let token = try #require(round.deltaLink.components(separatedBy: "$deltatoken=").last)
            var altered = Array(token)
            altered[2] = altered[2] == "A" ? "B" : "A"
            let tampered = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=\(String(altered))")
            #expect(tampered.status == 410)
            #expect(try tampered.errorCode() == "SyncStateNotFound")

            // A token for the Inbox does not track another folder.
            let elsewhere = try await emulator.get("/v1.0/me/mailFolders/archive/messages/delta?$deltatoken=\(token)")
            #expect(elsewhere.status == 410)
            let folderDelta = try await emulator.get("/v1.0/me/mailFolders/delta?$deltatoken=\(token)")
            #expect(folderDelta.status == 410)

            // Another emulator instance (a restart) does not accept this one's tokens.
            try await withEmulator(mailbox: Mailbox(messageCount: 100, seed: 31)) { other in
                let foreign = try await other.get("/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=\(token)")
                #expect(foreign.status == 410)
            }
        }
    }

    @Test("Changes during an initial round are not lost: the deltaLink covers them")
    func changesDuringRound() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 31)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let messages = snapshot.messages(inFolder: inbox.id)
            let prefer = ["Prefer": "odata.maxpagesize=10"]
            let first = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta", headers: prefer)
            var link = try #require(try first.json()["@odata.nextLink"] as? String)
            var seen = try first.items().compactMap { $0["id"] as? String }

            // Mid-round: a new message arrives (newer than everything returned) and an
            // already-returned message changes.
            let delivered = try await mailbox.deliver(NewMessage(
                subject: "Arrived mid-round", from: .init(name: "Ryan Reed", address: "ryan.reed@contoso.com"),
                body: .init(contentType: .text, content: "Hi")))
            try await mailbox.markRead(id: messages[0].id, !messages[0].isRead)

            var deltaLink: String?
            while deltaLink == nil {
                let page = try await emulator.get(link, headers: prefer)
                seen += try page.items().compactMap { $0["id"] as? String }
                if let next = try page.json()["@odata.nextLink"] as? String { link = next } else {
                    deltaLink = try page.json()["@odata.deltaLink"] as? String
                }
            }
            #expect(Set(seen).isSuperset(of: messages.map(\.id)))
            let next = try await Self.round(emulator, try #require(deltaLink))
            #expect(Set(next.items.compactMap { $0["id"] as? String }) == [delivered.id, messages[0].id])
        }
    }
}
