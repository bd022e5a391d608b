import Foundation
import GraphEmulator
import MailCore
import Testing

@Suite("Message routes")
struct MessageRouteTests {
    @Test("Following @odata.nextLink returns every message of a folder exactly once, newest first")
    func paging() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let pages = try await emulator.pages("/v1.0/me/mailFolders/inbox/messages?$top=7&$select=subject")
            let ids = try pages.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
            #expect(ids == snapshot.messages(inFolder: inbox.id).map(\.id))
            #expect(Set(ids).count == ids.count)
            #expect(pages.count == (ids.count + 6) / 7)
            let link = try #require(try pages[0].json()["@odata.nextLink"] as? String)
            #expect(link.contains("$top=7") && link.contains("$select=subject") && link.contains("$skip=7"))
            #expect(try pages.last?.json()["@odata.nextLink"] == nil)

            // Default page size is 10; /me/messages spans all folders.
            let first = try await emulator.get("/v1.0/me/messages")
            #expect(try first.items().count == 10)
            let everything = try await emulator.pages("/v1.0/me/messages?$top=50")
            let allIDs = try everything.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
            #expect(allIDs == snapshot.messages.map(\.id))

            let oldestFirst = try await emulator.pages("/v1.0/me/mailFolders/inbox/messages?$top=100&$orderby=receivedDateTime%20asc")
            let ascending = try oldestFirst.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
            #expect(ascending == snapshot.messages(inFolder: inbox.id).map(\.id).reversed())
        }
    }

    @Test("A default message has Graph's properties; $select narrows it and the context names the selection")
    func selection() async throws {
        let mailbox = Mailbox(messageCount: 100, seed: 21)
        try await withEmulator(mailbox: mailbox) { emulator in
            let full = try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=1")
            let message = try #require(try full.items().first)
            for key in ["@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
                        "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject", "bodyPreview",
                        "importance", "parentFolderId", "conversationId", "conversationIndex", "isRead", "isDraft",
                        "webLink", "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
                        "bccRecipients", "replyTo", "flag"] {
                #expect(message[key] != nil, "missing \(key)")
            }
            #expect(message["uniqueBody"] == nil)
            let etag = try #require(message["@odata.etag"] as? String)
            #expect(etag == "W/\"\(message["changeKey"] as? String ?? "")\"")
            let received = try #require(message["receivedDateTime"] as? String)
            #expect(received.count == 20 && received.hasSuffix("Z"))
            let from = try #require((message["from"] as? [String: Any])?["emailAddress"] as? [String: Any])
            #expect(from["address"] is String && from["name"] is String)
            #expect((message["flag"] as? [String: Any])?["flagStatus"] is String)

            let narrow = try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=3&$select=from,subject")
            #expect(try narrow.items().allSatisfy { Set($0.keys) == ["@odata.etag", "id", "subject", "from"] })
            let context = try #require(try narrow.json()["@odata.context"] as? String)
            #expect(context.hasSuffix("/messages(from,subject)"))
            #expect(narrow.header("Content-Type") == "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")

            let unknown = try await emulator.get("/v1.0/me/messages?$select=subject,notAProperty")
            #expect(unknown.status == 400)
            #expect(try unknown.errorCode() == "RequestBroker--ParseUri")
            let errorMessage = (try unknown.json()["error"] as? [String: Any])?["message"] as? String
            #expect(errorMessage?.contains("notAProperty") == true)
        }
    }

    @Test("$filter on inferenceClassification and isRead, with $count")
    func filtering() async throws {
        let mailbox = Mailbox(messageCount: 500, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let inboxMessages = snapshot.messages(inFolder: inbox.id)
            for classification in ["focused", "other"] {
                let filter = encoded("inferenceClassification eq '\(classification)'")
                let pages = try await emulator.pages("/v1.0/me/mailFolders/inbox/messages?$filter=\(filter)&$top=25&$count=true&$select=inferenceClassification")
                let items = try pages.flatMap { try $0.items() }
                let expected = inboxMessages.filter { $0.inferenceClassification.rawValue == classification }
                #expect(!expected.isEmpty)
                #expect(items.compactMap { $0["id"] as? String } == expected.map(\.id))
                #expect(items.allSatisfy { $0["inferenceClassification"] as? String == classification })
                #expect(try pages[0].json()["@odata.count"] as? Int == expected.count)
            }
            let combined = encoded("inferenceClassification eq 'Focused' and isRead eq false")
            let unreadFocused = try await emulator.pages("/v1.0/me/mailFolders/inbox/messages?$filter=\(combined)&$top=50")
            #expect(try unreadFocused.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
                == inboxMessages.filter { $0.inferenceClassification == .focused && !$0.isRead }.map(\.id))

            let sorted = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages?$filter=\(encoded("inferenceClassification eq 'focused'"))&$orderby=\(encoded("inferenceClassification,receivedDateTime desc"))")
            #expect(sorted.status == 200)
            // Exchange refuses a sort key that does not lead the filter.
            let inefficient = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages?$filter=\(encoded("isRead eq false"))&$orderby=\(encoded("receivedDateTime desc"))")
            #expect(inefficient.status == 400)
            #expect(try inefficient.errorCode() == "InefficientFilter")

            for bad in ["contains(subject,'x')", "isRead eq false xor isDraft eq true", "inferenceClassification eq 'maybe'",
                        "noSuchProperty eq 1", "isRead eq"] {
                let response = try await emulator.get("/v1.0/me/messages?$filter=\(encoded(bad))")
                #expect(response.status == 400, "\(bad)")
            }
        }
    }

    @Test("A message by id, through /messages or its folder; text bodies on request with Preference-Applied")
    func getMessage() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let message = try #require(snapshot.messages(inFolder: inbox.id).first { $0.body.contentType == .html })
            let html = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))")
            #expect(html.status == 200)
            let json = try html.json()
            #expect(json["subject"] as? String == message.subject)
            #expect((json["@odata.context"] as? String)?.hasSuffix("/messages/$entity") == true)
            let htmlBody = try #require(json["body"] as? [String: Any])
            #expect(htmlBody["contentType"] as? String == "html")
            #expect(htmlBody["content"] as? String == message.body.content)
            #expect(html.header("Preference-Applied") == nil)

            let text = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages/\(encoded(message.id))?$select=subject,body",
                headers: ["Prefer": "outlook.body-content-type=\"text\""])
            #expect(text.status == 200)
            #expect(text.header("Preference-Applied") == "outlook.body-content-type=\"text\"")
            let textJSON = try text.json()
            #expect(Set(textJSON.keys) == ["@odata.context", "@odata.etag", "id", "subject", "body"])
            let textBody = try #require(textJSON["body"] as? [String: Any])
            #expect(textBody["contentType"] as? String == "text")
            let content = try #require(textBody["content"] as? String)
            let plain = HTMLText.plainText(fromHTML: message.body.content)
            #expect(content.replacingOccurrences(of: "\r\n", with: "\n") == plain)
            #expect(!content.contains("<p>"))

            let elsewhere = try await emulator.get("/v1.0/me/mailFolders/sentitems/messages/\(encoded(message.id))")
            #expect(elsewhere.status == 404)
            let missing = try await emulator.get("/v1.0/me/messages/AAMkADdoesnotexistAAA=")
            #expect(missing.status == 404)
            #expect(try missing.errorCode() == "ErrorItemNotFound")
            let malformed = try await emulator.get("/v1.0/me/messages/not-an-id!")
            #expect(malformed.status == 400)
            #expect(try malformed.errorCode() == "ErrorInvalidIdMalformed")
        }
    }

    @Test("Immutable ids on request; a move changes the regular id but not the immutable one")
    func immutableIDs() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let archive = try #require(snapshot.folder(wellKnownName: "archive"))
            let expected = snapshot.messages(inFolder: inbox.id).prefix(5)
            let immutable = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages?$top=5&$select=subject", headers: ["Prefer": "IdType=\"ImmutableId\""])
            #expect(try immutable.items().compactMap { $0["id"] as? String } == expected.map(\.immutableID))

            let target = try #require(expected.first)
            let byImmutable = try await emulator.get("/v1.0/me/messages/\(encoded(target.immutableID))?$select=subject")
            #expect(try byImmutable.json()["id"] as? String == target.id)

            let moved = try await mailbox.move(id: target.id, to: "archive")
            #expect(moved.id != target.id)
            #expect(moved.immutableID == target.immutableID)
            #expect(moved.parentFolderID == archive.id)

            let old = try await emulator.get("/v1.0/me/messages/\(encoded(target.id))")
            #expect(old.status == 404)
            #expect(try old.errorCode() == "ErrorItemNotFound")
            let new = try await emulator.get("/v1.0/me/messages/\(encoded(moved.id))?$select=parentFolderId")
            #expect(try new.json()["parentFolderId"] as? String == archive.id)
            let stable = try await emulator.get(
                "/v1.0/me/messages/\(encoded(target.immutableID))?$select=parentFolderId", headers: ["Prefer": "IdType=\"ImmutableId\""])
            let stableJSON = try stable.json()
            #expect(stableJSON["id"] as? String == target.immutableID)
            #expect(stableJSON["parentFolderId"] as? String == archive.id)
            #expect(try await emulator.get("/v1.0/me/mailFolders/inbox/messages/\(encoded(moved.id))").status == 404)
        }
    }

    @Test("Counts and changeKeys follow changes made through the mailbox")
    func changesAreVisible() async throws {
        let mailbox = Mailbox(messageCount: 100, seed: 21)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let message = try #require(snapshot.messages(inFolder: inbox.id).first { !$0.isRead })
            let updated = try await mailbox.markRead(id: message.id)
            #expect(updated.changeKey != message.changeKey)
            let response = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))?$select=isRead,changeKey")
            let json = try response.json()
            #expect(json["isRead"] as? Bool == true)
            #expect(json["changeKey"] as? String == updated.changeKey)
            let folder = try await emulator.get("/v1.0/me/mailFolders/inbox")
            #expect(try folder.json()["unreadItemCount"] as? Int == inbox.unreadItemCount - 1)

            // A general update replaces the body; the preview follows it.
            let rewritten = try await mailbox.update(id: message.id) { draft in
                draft.subject = "Rewritten"
                draft.categories = ["Follow up"]
                draft.setBody(.init(contentType: .html, content: "<p>Completely <b>new</b> text</p>"))
            }
            #expect(rewritten.id == message.id && rewritten.parentFolderID == inbox.id)
            let fresh = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))?$select=subject,bodyPreview,categories,body")
            let freshJSON = try fresh.json()
            #expect(freshJSON["subject"] as? String == "Rewritten")
            #expect(freshJSON["bodyPreview"] as? String == "Completely new text")
            #expect(freshJSON["categories"] as? [String] == ["Follow up"])
            #expect((freshJSON["body"] as? [String: Any])?["content"] as? String == "<p>Completely <b>new</b> text</p>")

            // A delivered message with an attachment lands on top of the Inbox.
            let attachment = EmulatedMessage.Attachment(
                name: "agenda.txt", contentType: "text/plain", size: 5, lastModifiedDateTime: MailboxGenerator.referenceDate,
                contentBytes: "aGVsbG8=")
            let delivered = try await mailbox.deliver(NewMessage(
                subject: "With a file", from: .init(name: "Åsa Lindqvist", address: "asa.lindqvist@fabrikam.com"),
                body: .init(contentType: .text, content: "See attached"), attachments: [attachment]))
            #expect(delivered.receivedDateTime > snapshot.messages[0].receivedDateTime)
            let top = try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=1&$select=subject,hasAttachments,toRecipients")
            let item = try #require(try top.items().first)
            #expect(item["id"] as? String == delivered.id)
            #expect(item["hasAttachments"] as? Bool == true)
            let to = (item["toRecipients"] as? [[String: Any]])?.first?["emailAddress"] as? [String: Any]
            #expect(to?["address"] as? String == "alex.morgan@contoso.com")
            #expect(delivered.attachments == [attachment])
        }
    }
}
