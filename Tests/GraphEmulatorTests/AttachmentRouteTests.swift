import Foundation
import GraphEmulator
import Testing

@Suite("Attachments")
struct AttachmentRouteTests {
    static let immutable = ["Prefer": #"IdType="ImmutableId""#]

    /// A generated mailbox and its first message holding an attachment of the wanted kind.
    static func message(
        in snapshot: MailboxSnapshot, where matches: (EmulatedMessage.Attachment) -> Bool
    ) throws -> EmulatedMessage {
        try #require(snapshot.messages.first { $0.attachments.contains(where: matches) }, "no such attachment in the mailbox")
    }

    static func isFile(_ attachment: EmulatedMessage.Attachment) -> Bool {
        if case .file = attachment.kind { return true }
        return false
    }

    static func isItem(_ attachment: EmulatedMessage.Attachment) -> Bool {
        if case .item = attachment.kind { return true }
        return false
    }

    static func isReference(_ attachment: EmulatedMessage.Attachment) -> Bool {
        if case .reference = attachment.kind { return true }
        return false
    }

    /// The magic numbers a file of this type starts with.
    static func signature(of contentType: String) -> [UInt8]? {
        switch contentType {
        case "application/pdf": Array("%PDF-".utf8)
        case "image/png": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        case "image/jpeg": [0xFF, 0xD8, 0xFF]
        case _ where contentType.hasPrefix("application/vnd.openxmlformats"): [0x50, 0x4B, 0x03, 0x04]
        case "text/calendar": Array("BEGIN:VCALENDAR".utf8)
        default: nil
        }
    }

    @Test("List: every attachment with its type, ids extending the message id; $filter is ignored")
    func list() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let withAttachments = snapshot.messages.filter(\.hasAttachments).prefix(40)
            try #require(withAttachments.count == 40)
            var kinds: Set<String> = []
            for message in withAttachments {
                let response = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments")
                #expect(response.status == 200)
                let context = try #require(try response.json()["@odata.context"] as? String)
                #expect(context.hasSuffix("/messages('\(encodedKey(message.id))')/attachments"))
                let items = try response.items()
                #expect(items.compactMap { $0["name"] as? String } == message.attachments.map(\.name))
                #expect(items.compactMap { $0["size"] as? Int } == message.attachments.map(\.size))
                var base = message.id
                while base.hasSuffix("=") { base.removeLast() }
                for item in items {
                    let id = try #require(item["id"] as? String)
                    #expect(id.hasPrefix(base) && id.count > message.id.count)
                    kinds.insert(try #require(item["@odata.type"] as? String))
                }
                #expect(Set(items.compactMap { $0["id"] as? String }).count == items.count)
                let filtered = try await emulator.get(
                    "/v1.0/me/messages/\(encoded(message.id))/attachments?$filter=\(encoded("name eq 'nothing'"))&$select=name")
                #expect(try filtered.items().count == items.count)
            }
            #expect(kinds == ["#microsoft.graph.fileAttachment", "#microsoft.graph.itemAttachment", "#microsoft.graph.referenceAttachment"])
            // hasAttachments agrees with the list for every message.
            for message in snapshot.messages.prefix(200) {
                #expect(message.hasAttachments == message.attachments.contains { !$0.isInline })
            }
        }
    }

    @Test("A file attachment: contentBytes, $select, $value streamed with its type and length, magic numbers")
    func fileAttachment() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            var checked = 0
            for message in snapshot.messages where message.attachments.contains(where: Self.isFile) {
                let items = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments").items()
                for (item, attachment) in zip(items, message.attachments) where Self.isFile(attachment) {
                    let id = try #require(item["id"] as? String)
                    let path = "/v1.0/me/messages/\(encoded(message.id))/attachments/\(encoded(id))"
                    let single = try await emulator.get(path)
                    #expect(single.status == 200)
                    let json = try single.json()
                    #expect(json["@odata.type"] as? String == "#microsoft.graph.fileAttachment")
                    #expect(json["contentType"] as? String == attachment.contentType)
                    #expect(json["isInline"] as? Bool == false)
                    #expect((json["@odata.context"] as? String)?.hasSuffix("/attachments/$entity") == true)
                    let base64 = try #require(json["contentBytes"] as? String)
                    let decoded = try #require(Data(base64Encoded: base64))
                    #expect(decoded.count == attachment.size)

                    let value = try await emulator.get(path + "/$value")
                    #expect(value.status == 200)
                    #expect(value.header("Content-Type") == attachment.contentType)
                    #expect(value.header("Content-Length") == String(attachment.size))
                    #expect(value.body == decoded)
                    if let signature = Self.signature(of: attachment.contentType) {
                        #expect(Array(value.body.prefix(signature.count)) == signature, "\(attachment.name)")
                    }
                    // The same bytes every time: content is a function of the attachment.
                    #expect(try await emulator.get(path + "/$value").body == value.body)

                    let selected = try await emulator.get(path + "?$select=name,size")
                    #expect(Set(try selected.json().keys) == ["@odata.context", "@odata.type", "@odata.mediaContentType", "id", "name", "size"])
                    checked += 1
                }
                if checked >= 8 { break }
            }
            #expect(checked >= 8)
            let message = try Self.message(in: snapshot, where: Self.isFile)
            let unknown = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments/AAMkADnothingHereBEgAQAAAAA=")
            #expect(unknown.status == 404)
            #expect(try unknown.errorCode() == "ErrorItemNotFound")
        }
    }

    @Test("Attachment ids follow the message id: new after a move, stable in the immutable form")
    func idsAcrossMoves() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try Self.message(in: snapshot, where: Self.isFile)
            let regular = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments").items()
            let immutableList = try await emulator.get(
                "/v1.0/me/messages/\(encoded(message.immutableID))/attachments", headers: Self.immutable).items()
            let immutableID = try #require(immutableList.first?["id"] as? String)
            #expect(immutableID != regular.first?["id"] as? String)

            let moved = try await mailbox.move(id: message.id, to: "archive")
            let oldID = try #require(regular.first?["id"] as? String)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(moved.id))/attachments/\(encoded(oldID))").status == 404)
            let renewed = try await emulator.get("/v1.0/me/messages/\(encoded(moved.id))/attachments").items()
            #expect(renewed.first?["id"] as? String != oldID)
            let again = try await emulator.get(
                "/v1.0/me/messages/\(encoded(message.immutableID))/attachments/\(encoded(immutableID))", headers: Self.immutable)
            #expect(again.status == 200)
            #expect(try again.json()["id"] as? String == immutableID)
            // Through the folder path the message must be in that folder.
            #expect(try await emulator.get("/v1.0/me/mailFolders/archive/messages/\(encoded(moved.id))/attachments").status == 200)
            #expect(try await emulator.get("/v1.0/me/mailFolders/inbox/messages/\(encoded(moved.id))/attachments").status == 404)
        }
    }

    @Test("Item attachments: null contentType, the message with $expand, MIME as $value")
    func itemAttachment() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try Self.message(in: snapshot, where: Self.isItem)
            let index = try #require(message.attachments.firstIndex(where: Self.isItem))
            guard case .item(let attached) = message.attachments[index].kind else { Issue.record("not an item"); return }
            let items = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments").items()
            let id = try #require(items[index]["id"] as? String)
            let path = "/v1.0/me/messages/\(encoded(message.id))/attachments/\(encoded(id))"

            let plain = try await emulator.get(path).json()
            #expect(plain["@odata.type"] as? String == "#microsoft.graph.itemAttachment")
            #expect(plain.keys.contains("contentType") && plain["contentType"] is NSNull)
            #expect(plain["item"] == nil)
            #expect(plain["contentBytes"] == nil)

            let expanded = try await emulator.get(path + "?$expand=microsoft.graph.itemattachment/item").json()
            let item = try #require(expanded["item"] as? [String: Any])
            #expect(item["@odata.type"] as? String == "#microsoft.graph.message")
            #expect(item["subject"] as? String == attached.subject)
            #expect(((item["from"] as? [String: Any])?["emailAddress"] as? [String: Any])?["address"] as? String == attached.from?.address)
            #expect((expanded["item@odata.context"] as? String)?.hasSuffix("/microsoft.graph.itemAttachment/item/$entity") == true)
            let listExpanded = try await emulator.get(
                "/v1.0/me/messages/\(encoded(message.id))/attachments?$expand=microsoft.graph.itemAttachment/item").items()
            #expect((listExpanded[index]["item"] as? [String: Any])?["subject"] as? String == attached.subject)

            let mime = try await emulator.get(path + "/$value")
            #expect(mime.status == 200)
            #expect(mime.header("Content-Type") == "message/rfc822")
            #expect(mime.text.contains("Subject: \(attached.subject)\r\n"))
            #expect(mime.text.contains("MIME-Version: 1.0"))
        }
    }

    @Test("Reference attachments: link properties on beta only, and 405 for $value")
    func referenceAttachment() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try Self.message(in: snapshot, where: Self.isReference)
            let index = try #require(message.attachments.firstIndex(where: Self.isReference))
            guard case .reference(let link) = message.attachments[index].kind else { Issue.record("not a reference"); return }
            let v1 = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments").items()[index]
            #expect(v1["@odata.type"] as? String == "#microsoft.graph.referenceAttachment")
            #expect(v1["sourceUrl"] == nil)
            let beta = try await emulator.get("/beta/me/messages/\(encoded(message.id))/attachments").items()[index]
            #expect(beta["sourceUrl"] as? String == link.sourceURL)
            #expect(beta["providerType"] as? String == "oneDriveBusiness")
            #expect(beta["isFolder"] as? Bool == false)
            #expect(link.sourceURL.hasPrefix("https://"))

            let id = try #require(v1["id"] as? String)
            let value = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments/\(encoded(id))/$value")
            #expect(value.status == 405)
            #expect(try value.errorCode() != nil)
            // `sourceUrl` is not a v1.0 property.
            let selected = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))/attachments?$select=sourceUrl")
            #expect(selected.status == 400)
        }
    }

    @Test("POST adds file, item and reference attachments (201); hasAttachments follows; 3 MB and more is 413; DELETE removes")
    func add() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let plain = try #require(snapshot.messages.first { !$0.hasAttachments && !$0.isDraft })
            let path = "/v1.0/me/messages/\(encoded(plain.id))/attachments"
            let bytes = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            let created = try await emulator.sendJSON("POST", path, [
                "@odata.type": "#microsoft.graph.fileAttachment", "name": "table.bin", "contentBytes": bytes.base64EncodedString(),
            ])
            #expect(created.status == 201)
            let json = try created.json()
            let id = try #require(json["id"] as? String)
            #expect(json["size"] as? Int == 5000)
            #expect(json["contentType"] as? String == "application/octet-stream")
            #expect(try await emulator.message(plain.id)?["hasAttachments"] as? Bool == true)
            let changed = try #require(try await emulator.message(plain.id))
            #expect(changed["changeKey"] as? String != plain.changeKey)
            // The body and preview are kept when the message starts storing its attachments.
            #expect(changed["bodyPreview"] as? String == plain.bodyPreview)
            #expect(try await emulator.get("\(path)/\(encoded(id))/$value").body == bytes)

            let item = try await emulator.sendJSON("POST", path, [
                "@odata.type": "microsoft.graph.itemAttachment", "name": "Forwarded",
                "item": ["@odata.type": "microsoft.graph.message", "subject": "Original", "body": ["contentType": "text", "content": "Hi"],
                         "toRecipients": [recipientJSON("dana@contoso.com")]],
            ])
            #expect(item.status == 201)
            #expect(try item.json()["@odata.type"] as? String == "#microsoft.graph.itemAttachment")
            let reference = try await emulator.sendJSON("POST", "/beta/me/messages/\(encoded(plain.id))/attachments", [
                "@odata.type": "#microsoft.graph.referenceAttachment", "name": "Plan.docx",
                "sourceUrl": "https://contoso-my.sharepoint.com/personal/x/Documents/Plan.docx", "providerType": "oneDriveBusiness",
                "permission": "edit",
            ])
            #expect(reference.status == 201)
            #expect(try reference.json()["permission"] as? String == "edit")
            #expect(try await emulator.get(path).items().compactMap { $0["name"] as? String } == ["table.bin", "Forwarded", "Plan.docx"])

            let large = try await emulator.sendJSON("POST", path, [
                "@odata.type": "#microsoft.graph.fileAttachment", "name": "big.bin",
                "contentBytes": Data(count: 3 * 1024 * 1024).base64EncodedString(),
            ])
            #expect(large.status == 413)
            #expect(try large.errorCode() == "RequestEntityTooLarge")
            let untyped = try await emulator.sendJSON("POST", path, ["name": "x", "contentBytes": "aGk="])
            #expect(untyped.status == 400)
            let notBase64 = try await emulator.sendJSON("POST", path, [
                "@odata.type": "#microsoft.graph.fileAttachment", "name": "x", "contentBytes": "%%%",
            ])
            #expect(notBase64.status == 400)

            for entry in try await emulator.get(path).items() {
                let attachmentID = try #require(entry["id"] as? String)
                #expect(try await emulator.send("DELETE", "\(path)/\(encoded(attachmentID))").status == 204)
            }
            #expect(try await emulator.get(path).items().isEmpty)
            #expect(try await emulator.message(plain.id)?["hasAttachments"] as? Bool == false)
        }
    }

    @Test("Deleting one generated attachment keeps the others' ids")
    func deleteKeepsIDs() async throws {
        let mailbox = Mailbox(messageCount: 800, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let message = try #require(snapshot.messages.first { $0.attachments.count >= 2 })
            let path = "/v1.0/me/messages/\(encoded(message.id))/attachments"
            let before = try await emulator.get(path).items().compactMap { $0["id"] as? String }
            #expect(try await emulator.send("DELETE", "\(path)/\(encoded(before[0]))").status == 204)
            let after = try await emulator.get(path).items().compactMap { $0["id"] as? String }
            #expect(after == Array(before.dropFirst()))
        }
    }

    @Test("Upload session: 201 with uploadUrl, ranged PUTs without a token (200, then 201 + Location), 416 out of order")
    func uploadSession() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 12)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let draft = try #require(snapshot.messages.first { !$0.hasAttachments })
            let base = "/v1.0/me/messages/\(encoded(draft.id))/attachments"
            let small = try await emulator.sendJSON("POST", "\(base)/createUploadSession", [
                "AttachmentItem": ["attachmentType": "file", "name": "small.bin", "size": 1_000_000],
            ])
            #expect(small.status == 400)
            #expect(try small.errorCode() == "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")

            let size = 3_483_322
            let content = (0..<size).map { UInt8(truncatingIfNeeded: ($0 * 31) ^ ($0 >> 8)) }
            let created = try await emulator.sendJSON("POST", "\(base)/microsoft.graph.createUploadSession", [
                "AttachmentItem": ["attachmentType": "file", "name": "flower.jpg", "size": size, "contentType": "image/jpeg"],
            ])
            #expect(created.status == 201)
            let session = try created.json()
            let uploadURL = try #require(session["uploadUrl"] as? String)
            #expect(uploadURL.contains("/AttachmentSessions('") && uploadURL.contains("authtoken="))
            #expect(session["nextExpectedRanges"] as? [String] == ["0-"])
            #expect(session["expirationDateTime"] is String)
            #expect(await mailbox.openUploadSessionCount == 1)

            func put(_ range: Range<Int>, url: String = uploadURL) async throws -> TestResponse {
                try await emulator.exchange(
                    "PUT", url, body: Array(content[range]), contentType: "application/octet-stream",
                    headers: ["Content-Range": "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"])
            }
            let first = try await put(0..<2_097_152)
            #expect(first.status == 200)
            #expect(try first.json()["nextExpectedRanges"] as? [String] == ["2097152"])
            let repeated = try await put(0..<1000)
            #expect(repeated.status == 416)
            let gap = try await put(2_097_200..<2_200_000)
            #expect(gap.status == 416)
            let wrongToken = try await put(2_097_152..<size, url: uploadURL.replacingOccurrences(of: "authtoken=", with: "authtoken=x"))
            #expect(wrongToken.status == 404)

            let last = try await put(2_097_152..<size)
            #expect(last.status == 201)
            let location = try #require(last.header("Location"))
            #expect(location.contains("/Attachments('"))
            let idStart = try #require(location.range(of: "/Attachments('"))
            let attachmentID = String(location[idStart.upperBound...].dropLast(2)).removingPercentEncoding!
            let stored = try await emulator.get("\(base)/\(encoded(attachmentID))?$select=name,size,contentType")
            #expect(stored.status == 200)
            #expect(try stored.json()["size"] as? Int == size)
            #expect(try stored.json()["name"] as? String == "flower.jpg")
            let value = try await emulator.get("\(base)/\(encoded(attachmentID))/$value")
            #expect(value.header("Content-Type") == "image/jpeg")
            #expect(Array(value.body) == content)
            #expect(try await emulator.message(draft.id)?["hasAttachments"] as? Bool == true)
            // The session is over.
            #expect(try await put(0..<1000).status == 404)
            #expect(await mailbox.openUploadSessionCount == 0)

            let cancelled = try await emulator.sendJSON("POST", "\(base)/createUploadSession", [
                "AttachmentItem": ["attachmentType": "file", "name": "gone.bin", "size": 4_000_000],
            ])
            let cancelURL = try #require(try cancelled.json()["uploadUrl"] as? String)
            #expect(try await emulator.exchange("DELETE", cancelURL).status == 204)
            #expect(try await emulator.exchange("PUT", cancelURL, body: [1, 2, 3], headers: ["Content-Range": "bytes 0-2/4000000"]).status == 404)
            let missingRange = try await emulator.sendJSON("POST", "\(base)/createUploadSession", [
                "AttachmentItem": ["attachmentType": "file", "name": "r.bin", "size": 4_000_000],
            ])
            let rangeURL = try #require(try missingRange.json()["uploadUrl"] as? String)
            #expect(try await emulator.exchange("PUT", rangeURL, body: [1, 2, 3]).status == 400)
            let tooBig = try await emulator.sendJSON("POST", "\(base)/createUploadSession", [
                "AttachmentItem": ["attachmentType": "file", "name": "huge.bin", "size": 200 * 1024 * 1024],
            ])
            #expect(tooBig.status == 400)
        }
    }
}

/// An id as it appears inside an OData key in a context URL.
func encodedKey(_ id: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-_.~")
    return id.addingPercentEncoding(withAllowedCharacters: allowed)!
}
