import Foundation
import GraphEmulator
import Testing

@Suite("Focused Inbox")
struct FocusedInboxTests {
    static let overrides = "/v1.0/me/inferenceClassification/overrides"

    @Test("Only Inbox mail is classified: every other folder is Focused")
    func onlyInbox() async throws {
        let mailbox = Mailbox(messageCount: 1500, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let other = try await emulator.pages(
                "/v1.0/me/messages?$filter=\(encoded("inferenceClassification eq 'other'"))&$select=parentFolderId&$top=1000")
                .flatMap { try $0.items() }
            #expect(!other.isEmpty)
            #expect(other.allSatisfy { $0["parentFolderId"] as? String == inbox.id })
            let focusedInbox = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages?$filter=\(encoded("inferenceClassification eq 'focused'"))&$count=true&$top=1")
            let inboxCount = snapshot.messages(inFolder: inbox.id).count
            #expect(try focusedInbox.json()["@odata.count"] as? Int == inboxCount - other.count)
        }
    }

    @Test("Overrides: POST (201) upserts by address without regard to case; GET, PATCH (200), DELETE (204)")
    func crud() async throws {
        try await withEmulator(messages: 50, seed: 21) { emulator in
            let empty = try await emulator.get(Self.overrides)
            #expect(empty.status == 200)
            #expect(try empty.items().isEmpty)
            #expect((try empty.json()["@odata.context"] as? String)?.hasSuffix("/inferenceClassification/overrides") == true)

            let created = try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "focused", "senderEmailAddress": ["name": "Samantha Booth", "address": "samanthab@adatum.onmicrosoft.com"],
            ])
            #expect(created.status == 201)
            let first = try created.json()
            let id = try #require(first["id"] as? String)
            #expect(first["classifyAs"] as? String == "focused")
            #expect((first["senderEmailAddress"] as? [String: Any])?["address"] as? String == "samanthab@adatum.onmicrosoft.com")
            #expect(id.count == 36)

            // The same address again updates that override (classifyAs and name), keeping its id.
            let again = try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "Other", "senderEmailAddress": ["name": "Sam Booth", "address": "SamanthaB@adatum.onmicrosoft.com"],
            ])
            #expect(again.status == 201)
            #expect(try again.json()["id"] as? String == id)
            #expect(try again.json()["classifyAs"] as? String == "other")
            let listed = try await emulator.get(Self.overrides).items()
            #expect(listed.count == 1)
            #expect((listed[0]["senderEmailAddress"] as? [String: Any])?["name"] as? String == "Sam Booth")

            let patched = try await emulator.sendJSON("PATCH", "\(Self.overrides)/\(id)", ["classifyAs": "focused"])
            #expect(patched.status == 200)
            #expect(try patched.json()["classifyAs"] as? String == "focused")
            #expect(try await emulator.get("\(Self.overrides)/\(id)").json()["classifyAs"] as? String == "focused")

            #expect(try await emulator.sendJSON("POST", Self.overrides, ["classifyAs": "focused"]).status == 400)
            #expect(try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "important", "senderEmailAddress": ["address": "a@b.com"],
            ]).status == 400)

            #expect(try await emulator.send("DELETE", "\(Self.overrides)/\(id)").status == 204)
            #expect(try await emulator.get("\(Self.overrides)/\(id)").status == 404)
            #expect(try await emulator.send("DELETE", "\(Self.overrides)/\(id)").status == 404)
            #expect(try await emulator.get(Self.overrides).items().isEmpty)
        }
    }

    @Test("At most 1000 overrides; an update of an existing one is still allowed at the cap")
    func cap() async throws {
        let mailbox = Mailbox(messageCount: 20, seed: 21)
        for index in 0..<(Mailbox.maximumOverrides - 1) {
            try await mailbox.upsertClassificationOverride(sender: .init(name: "", address: "sender\(index)@example.com"), classifyAs: .other)
        }
        try await withEmulator(mailbox: mailbox) { emulator in
            let last = try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "other", "senderEmailAddress": ["address": "last@example.com"],
            ])
            #expect(last.status == 201)
            let over = try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "other", "senderEmailAddress": ["address": "one-too-many@example.com"],
            ])
            #expect(over.status == 400)
            #expect(try over.errorCode() == "ErrorQuotaExceeded")
            let update = try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "focused", "senderEmailAddress": ["address": "sender7@example.com"],
            ])
            #expect(update.status == 201)
            #expect(try await emulator.get("\(Self.overrides)?$count=true&$top=1").json()["@odata.count"] as? Int == 1000)
        }
    }

    @Test("Overrides apply to newly delivered Inbox mail only, not to existing mail nor other folders")
    func delivery() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 21)
        try await withEmulator(mailbox: mailbox) { emulator in
            let sender = EmulatedMessage.Recipient(name: "Deals", address: "deals@shop.example")
            let before = try await mailbox.deliver(NewMessage(
                subject: "Before", from: sender, body: .init(contentType: .text, content: "x"), inferenceClassification: .focused))
            #expect(await mailbox.classification(for: "deals@shop.example") == .focused)

            #expect(try await emulator.sendJSON("POST", Self.overrides, [
                "classifyAs": "other", "senderEmailAddress": ["address": "Deals@Shop.example"],
            ]).status == 201)
            #expect(await mailbox.classification(for: "DEALS@shop.example") == .other)
            let after = try await mailbox.deliver(NewMessage(
                subject: "After", from: sender, body: .init(contentType: .text, content: "x"), inferenceClassification: .focused))
            #expect(after.inferenceClassification == .other)
            #expect(try await emulator.message(after.id)?["inferenceClassification"] as? String == "other")
            // Existing mail keeps its classification.
            #expect(try await emulator.message(before.id)?["inferenceClassification"] as? String == "focused")
            // Mail delivered to another folder is Focused whatever the override says.
            let elsewhere = try await mailbox.deliver(
                NewMessage(subject: "Filed", from: sender, body: .init(contentType: .text, content: "x"), inferenceClassification: .other),
                to: "archive")
            #expect(elsewhere.inferenceClassification == .focused)
            // Without an override the stand-in classifier files bulk senders under Other.
            #expect(await mailbox.classification(for: "noreply@service.example") == .other)
            #expect(await mailbox.classification(for: "dana.swope@contoso.com") == .focused)
        }
    }
}
