import Foundation
import GraphEmulator
import Testing

@Suite("Mentions (beta only)")
struct MentionTests {
    @Test("mentionsPreview: in beta messages (null when not mentioned), selectable and filterable in any case")
    func preview() async throws {
        let mailbox = Mailbox(messageCount: 2000, seed: 44)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let mentioned = snapshot.messages.filter(\.mentionsOwner)
            try #require(!mentioned.isEmpty)
            let filter = encoded("MentionsPreview/IsMentioned eq true")
            let pages = try await emulator.pages(
                "/beta/me/messages?$filter=\(filter)&$select=Subject,Sender,ReceivedDateTime,MentionsPreview&$top=50")
            let items = try pages.flatMap { try $0.items() }
            #expect(items.compactMap { $0["id"] as? String } == mentioned.map(\.id))
            for item in items {
                #expect((item["mentionsPreview"] as? [String: Any])?["isMentioned"] as? Bool == true)
                #expect(Set(item.keys) == ["@odata.etag", "id", "subject", "sender", "receivedDateTime", "mentionsPreview"])
            }
            let notMentioned = try #require(snapshot.messages.first { !$0.mentionsOwner })
            let full = try await emulator.get("/beta/me/messages/\(encoded(notMentioned.id))").json()
            #expect(full.keys.contains("mentionsPreview") && full["mentionsPreview"] is NSNull)
            let mentionedFull = try await emulator.get("/beta/me/messages/\(encoded(mentioned[0].id))").json()
            #expect((mentionedFull["mentionsPreview"] as? [String: Any])?["isMentioned"] as? Bool == true)
            let falseFilter = try await emulator.get(
                "/beta/me/messages?$filter=\(encoded("mentionsPreview/isMentioned eq false"))&$count=true&$top=1")
            #expect(try falseFilter.json()["@odata.count"] as? Int == snapshot.messages.count - mentioned.count)
        }
    }

    @Test("On v1.0 mentionsPreview and mentions are unknown: 400, and absent from messages")
    func notInV1() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 44)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try #require(snapshot.messages.first)
            let filter = try await emulator.get("/v1.0/me/messages?$filter=\(encoded("mentionsPreview/isMentioned eq true"))")
            #expect(filter.status == 400)
            #expect(try filter.errorCode() == "RequestBroker--ParseUri")
            #expect(try await emulator.get("/v1.0/me/messages?$select=mentionsPreview").status == 400)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(message.id))?$expand=mentions").status == 400)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/mentions").status == 400)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(message.id))").json()["mentionsPreview"] == nil)
        }
    }

    @Test("$expand=mentions returns the owner's mention for mentioned mail and none otherwise; /mentions lists it")
    func expand() async throws {
        let mailbox = Mailbox(messageCount: 2000, seed: 44)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try #require(snapshot.messages.first { $0.mentionsOwner })
            let json = try await emulator.get("/beta/me/messages/\(encoded(message.id))?$expand=mentions").json()
            let mentions = try #require(json["mentions"] as? [[String: Any]])
            #expect(mentions.count == 1)
            let mention = mentions[0]
            let mentioned = try #require(mention["mentioned"] as? [String: Any])
            #expect(mentioned["address"] as? String == snapshot.owner.address)
            #expect(mentioned["name"] as? String == snapshot.owner.displayName)
            #expect((mention["createdBy"] as? [String: Any])?["address"] as? String == message.from?.address)
            #expect(mention["createdDateTime"] is String)
            for key in ["mentionText", "clientReference", "deepLink", "application"] {
                #expect(mention.keys.contains(key) && mention[key] is NSNull, "\(key)")
            }
            let id = try #require(mention["id"] as? String)
            #expect((json["mentions@odata.context"] as? String)?.hasSuffix("/mentions") == true)
            // The body really mentions the owner.
            #expect(message.body.content.contains("@\(snapshot.owner.displayName)"))

            let listed = try await emulator.get("/beta/me/messages/\(encoded(message.id))/mentions").items()
            #expect(listed.compactMap { $0["id"] as? String } == [id])
            let single = try await emulator.get("/beta/me/messages/\(encoded(message.id))/mentions/\(id)")
            #expect(single.status == 200)
            #expect(try single.json()["id"] as? String == id)

            let plain = try #require(snapshot.messages.first { !$0.mentionsOwner })
            let none = try await emulator.get("/beta/me/messages/\(encoded(plain.id))?$expand=mentions").json()
            #expect((none["mentions"] as? [Any])?.isEmpty == true)
            // In a list as well.
            let page = try await emulator.get("/beta/me/messages?$expand=mentions&$top=5").items()
            #expect(page.allSatisfy { $0["mentions"] is [Any] })
        }
    }
}
