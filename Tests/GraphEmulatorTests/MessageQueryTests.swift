import Foundation
import GraphEmulator
import Testing

@Suite("Message list query options")
struct MessageQueryTests {
    static func isoDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The ids `/me/messages?$filter=…` returns over all pages.
    static func filtered(_ emulator: Emulator, _ filter: String, extra: String = "") async throws -> [String] {
        try await emulator.pages("/v1.0/me/messages?$top=200&$select=subject&$filter=\(encoded(filter))\(extra)")
            .flatMap { try $0.items() }.compactMap { $0["id"] as? String }
    }

    @Test("$filter: flags, attachments, sender, dates, categories, and/or with parentheses, any property case")
    func filters() async throws {
        let mailbox = Mailbox(messageCount: 600, seed: 7)
        let snapshot = await mailbox.snapshot()
        let all = snapshot.messages
        let sender = try #require(all.first { $0.from != nil && $0.from?.address != snapshot.owner.address }?.from)
        let categorized = try #require(all.first { !$0.categories.isEmpty })
        let category = categorized.categories[0]
        let dates = all.map(\.receivedDateTime)
        let upper = dates[all.count / 4]
        let lower = dates[all.count / 2]
        let exact = dates[all.count / 3]

        let cases: [(String, (EmulatedMessage) -> Bool)] = [
            ("flag/flagStatus eq 'flagged'", { $0.flag.status == .flagged }),
            ("flag/flagStatus eq 'complete'", { $0.flag.status == .complete }),
            ("hasAttachments eq true", { $0.hasAttachments }),
            ("from/emailAddress/address eq '\(sender.address.uppercased())'",
             { $0.from?.address.lowercased() == sender.address.lowercased() }),
            ("receivedDateTime ge \(Self.isoDate(lower)) and receivedDateTime lt \(Self.isoDate(upper))",
             { $0.receivedDateTime >= lower && $0.receivedDateTime < upper }),
            ("receivedDateTime gt \(Self.isoDate(upper))", { $0.receivedDateTime > upper }),
            ("receivedDateTime le \(Self.isoDate(lower))", { $0.receivedDateTime <= lower }),
            ("receivedDateTime eq \(Self.isoDate(exact))", { $0.receivedDateTime == exact }),
            ("categories/any(c:c eq '\(category)')", { $0.categories.contains(category) }),
            ("categories/any(c: c eq '\(category.uppercased())') and isRead eq true",
             { $0.categories.contains(category) && $0.isRead }),
            ("isRead eq false or flag/flagStatus eq 'flagged'", { !$0.isRead || $0.flag.status == .flagged }),
            ("(isRead eq true or importance eq 'high') and hasAttachments eq false",
             { ($0.isRead || $0.importance == .high) && !$0.hasAttachments }),
            ("hasAttachments eq true and (importance eq 'low' or importance eq 'high' or isRead eq false)",
             { $0.hasAttachments && ($0.importance != .normal || !$0.isRead) }),
            ("IsRead eq false and InferenceClassification eq 'Focused' and FLAG/FLAGSTATUS ne 'notFlagged'",
             { !$0.isRead && $0.inferenceClassification == .focused && $0.flag.status != .notFlagged }),
        ]
        try await withEmulator(mailbox: mailbox) { emulator in
            for (filter, predicate) in cases {
                let expected = all.filter(predicate).map(\.id)
                #expect(!expected.isEmpty, "the generated mailbox has no match for \(filter)")
                #expect(try await Self.filtered(emulator, filter) == expected, "\(filter)")
            }
            for bad in ["categories/any(c:x eq 'a')", "categories/any(c:c gt 'a')", "isRead eq false or", "(isRead eq true",
                        "isRead eq true and not hasAttachments eq true", "receivedDateTime ge 'yesterday'"] {
                let response = try await emulator.get("/v1.0/me/messages?$filter=\(encoded(bad))")
                #expect(response.status == 400, "\(bad)")
            }
        }
    }

    @Test("$orderby: sort keys must lead $filter in the same order (InefficientFilter), otherwise any order works")
    func orderBy() async throws {
        let mailbox = Mailbox(messageCount: 400, seed: 7)
        let snapshot = await mailbox.snapshot()
        let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
        let inboxMessages = snapshot.messages(inFolder: inbox.id)
        let importantFirst = inboxMessages.filter { $0.importance == .high }.map(\.id)
            + inboxMessages.filter { $0.importance == .normal }.map(\.id)
        try await withEmulator(mailbox: mailbox) { emulator in
            let path = "/v1.0/me/mailFolders/inbox/messages?$top=100&$select=subject,importance"
            let unreadNewest = try await emulator.pages(
                path + "&$filter=\(encoded("receivedDateTime ge 2000-01-01 and isRead eq false"))&$orderby=\(encoded("receivedDateTime desc"))")
            #expect(try unreadNewest.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
                == inboxMessages.filter { !$0.isRead }.map(\.id))

            let oldestFirst = try await emulator.pages(
                path + "&$filter=\(encoded("receivedDateTime ge 2000-01-01"))&$orderby=receivedDateTime")
            #expect(try oldestFirst.flatMap { try $0.items() }.compactMap { $0["id"] as? String }
                == inboxMessages.map(\.id).reversed())

            // Importance first (low, normal, high as Exchange ranks them), newest first within each.
            let byImportance = try await emulator.pages(
                path + "&$filter=\(encoded("importance ne 'low'"))&$orderby=\(encoded("importance desc,receivedDateTime desc"))")
            #expect(try byImportance.flatMap { try $0.items() }.compactMap { $0["id"] as? String } == importantFirst)

            // Without $filter any sortable property works.
            let bySubject = try await emulator.pages(path + "&$orderby=subject")
            let subjects = try bySubject.flatMap { try $0.items() }.compactMap { ($0["subject"] as? String)?.lowercased() }
            #expect(subjects.count == inboxMessages.count)
            #expect(subjects == subjects.sorted())

            for (filter, order) in [("isRead eq false", "receivedDateTime desc"),
                                    ("importance eq 'high' and receivedDateTime ge 2000-01-01", "receivedDateTime desc"),
                                    ("categories/any(c:c eq 'Blue category')", "receivedDateTime desc"),
                                    ("isRead eq false and receivedDateTime ge 2000-01-01", "receivedDateTime desc,isRead")] {
                let response = try await emulator.get(
                    "/v1.0/me/messages?$filter=\(encoded(filter))&$orderby=\(encoded(order))")
                #expect(response.status == 400, "\(filter) / \(order)")
                #expect(try response.errorCode() == "InefficientFilter")
            }
        }
    }

    @Test("$top defaults to 10 and allows 1 to 1000; $skip and $count page through a filtered list")
    func paging() async throws {
        let mailbox = Mailbox(messageCount: 1200, seed: 8)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            #expect(try await emulator.get("/v1.0/me/messages?$select=subject").items().count == 10)
            let thousand = try await emulator.get("/v1.0/me/messages?$select=subject&$top=1000")
            #expect(try thousand.items().count == 1000)
            for top in ["0", "1001", "ten"] {
                #expect(try await emulator.get("/v1.0/me/messages?$top=\(top)").status == 400, "$top=\(top)")
            }
            let skipped = try await emulator.get("/v1.0/me/messages?$select=subject&$skip=5&$top=3")
            #expect(try skipped.items().compactMap { $0["id"] as? String } == snapshot.messages[5..<8].map(\.id))

            let unread = snapshot.messages.filter { !$0.isRead }
            let counted = try await emulator.get(
                "/v1.0/me/messages?$select=subject&$top=4&$skip=2&$count=true&$filter=\(encoded("isRead eq false"))")
            let json = try counted.json()
            #expect(json["@odata.count"] as? Int == unread.count)
            #expect(try counted.items().compactMap { $0["id"] as? String } == unread[2..<6].map(\.id))
            let next = try #require(json["@odata.nextLink"] as? String)
            #expect(next.contains("$skip=6") && next.contains("$count=true") && next.contains("$filter="))
            #expect(try await emulator.get("/v1.0/me/messages?$select=subject&$count=true").json()["@odata.count"] as? Int
                == snapshot.messages.count)
        }
    }

    @Test("$search: words over from, subject and body, restrictions, phrases, sent-date order, refusals")
    func search() async throws {
        let mailbox = Mailbox(messageCount: 200, seed: 9)
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let bySubject = try await mailbox.deliver(NewMessage(
            subject: "Quarterly zeppelin review", from: .init(name: "Pat Kim", address: "pat.kim@fabrikam.com"),
            body: .init(contentType: .text, content: "Numbers attached."), receivedDateTime: base))
        let byBody = try await mailbox.deliver(NewMessage(
            subject: "Weekend plans", from: .init(name: "Sam Lee", address: "sam.lee@fabrikam.com"),
            body: .init(contentType: .html, content: "<p>Shall we take the <b>Zeppelins</b> tour?</p>"),
            receivedDateTime: base.addingTimeInterval(-3600),
            attachments: [.init(name: "route.pdf", contentType: "application/pdf", size: 1200, lastModifiedDateTime: base)]))
        let bySender = try await mailbox.deliver(NewMessage(
            subject: "Your boarding pass", from: .init(name: "Airship Travel", address: "news@zeppelin.example"),
            body: .init(contentType: .text, content: "Have a nice trip."), receivedDateTime: base.addingTimeInterval(3600)))
        try await withEmulator(mailbox: mailbox) { emulator in
            func search(_ expression: String, _ extra: String = "") async throws -> [[String: Any]] {
                try await emulator.pages("/v1.0/me/messages?$search=\(encoded(expression))&$select=subject,sentDateTime\(extra)")
                    .flatMap { try $0.items() }
            }
            let all = try await search("\"zeppelin\"")
            #expect(all.compactMap { $0["id"] as? String } == [bySender.id, bySubject.id, byBody.id])
            let sent = all.compactMap { $0["sentDateTime"] as? String }
            #expect(sent == sent.sorted(by: >))

            #expect(try await search("\"subject:zeppelin\"").compactMap { $0["id"] as? String } == [bySubject.id])
            #expect(try await search("\"from:news@zeppelin.example\"").compactMap { $0["id"] as? String } == [bySender.id])
            #expect(try await search("\"hasattachments:true zeppelin\"").compactMap { $0["id"] as? String } == [byBody.id])
            #expect(try await search("\"zeppelin review\"").compactMap { $0["id"] as? String } == [bySubject.id])
            #expect(try await search("\"\\\"zeppelin review\\\"\"").compactMap { $0["id"] as? String } == [bySubject.id])
            #expect(try await search("\"\\\"review zeppelin\\\"\"").isEmpty)
            #expect(try await search("\"subject:\\\"boarding pass\\\" OR subject:weekend\"").compactMap { $0["id"] as? String }
                == [bySender.id, byBody.id])
            #expect(try await search("\"zeppelin NOT from:fabrikam.com\"").compactMap { $0["id"] as? String } == [bySender.id])
            // A folder's search covers that folder only.
            let inbox = try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$search=\(encoded("\"zeppelin\""))")
            #expect(try inbox.items().count == 3)
            #expect(try await emulator.get("/v1.0/me/mailFolders/sentitems/messages?$search=\(encoded("\"zeppelin\""))").items().isEmpty)

            let withOrder = try await emulator.get("/v1.0/me/messages?$search=\(encoded("\"zeppelin\""))&$orderby=subject")
            #expect(withOrder.status == 400)
            #expect(try withOrder.errorCode() == "SearchWithOrderBy")
            let withFilter = try await emulator.get(
                "/v1.0/me/messages?$search=\(encoded("\"zeppelin\""))&$filter=\(encoded("isRead eq false"))")
            #expect(withFilter.status == 400)
            for bad in ["\"size:10..20\"", "\"(zeppelin\"", "\"hasattachments:maybe\"", "\"\""] {
                #expect(try await emulator.get("/v1.0/me/messages?$search=\(encoded(bad))").status == 400, "\(bad)")
            }
        }
    }

    @Test("$search returns at most 1000 results")
    func searchLimit() async throws {
        let mailbox = Mailbox(messageCount: 1500, seed: 10)
        let snapshot = await mailbox.snapshot()
        #expect(snapshot.messages.filter { !$0.hasAttachments }.count > 1000)
        try await withEmulator(mailbox: mailbox) { emulator in
            let pages = try await emulator.pages(
                "/v1.0/me/messages?$search=\(encoded("\"hasAttachments:false\""))&$top=300&$count=true&$select=hasAttachments")
            let items = try pages.flatMap { try $0.items() }
            #expect(items.count == 1000)
            #expect(items.allSatisfy { $0["hasAttachments"] as? Bool == false })
            #expect(try pages[0].json()["@odata.count"] as? Int == 1000)
        }
    }

    @Test("$expand=attachments: ids derived from the message id, content included, immutable form under the header")
    func expandAttachments() async throws {
        let mailbox = Mailbox(messageCount: 300, seed: 11)
        let snapshot = await mailbox.snapshot()
        let message = try #require(snapshot.messages.first { $0.hasAttachments && $0.attachments.count >= 2 })
        try await withEmulator(mailbox: mailbox) { emulator in
            let expanded = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))?$expand=attachments").json()
            let attachments = try #require(expanded["attachments"] as? [[String: Any]])
            #expect(attachments.count == message.attachments.count)
            #expect((expanded["attachments@odata.context"] as? String)?.hasSuffix("/attachments") == true)
            let ids = attachments.compactMap { $0["id"] as? String }
            #expect(Set(ids).count == ids.count)
            #expect(ids.allSatisfy { $0.hasPrefix(String(message.id.dropLast())) && $0 != message.id })
            for (attachment, model) in zip(attachments, message.attachments) {
                #expect(attachment["name"] as? String == model.name)
                if attachment["@odata.type"] as? String == "#microsoft.graph.fileAttachment" {
                    let bytes = try #require(Data(base64Encoded: attachment["contentBytes"] as? String ?? ""))
                    #expect(bytes.count == model.size)
                }
            }
            // The same ids again: they are stable.
            let again = try await emulator.get("/v1.0/me/messages/\(encoded(message.id))?$expand=attachments&$select=subject").json()
            #expect(((again["attachments"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } == ids)

            let immutableHeader = ["Prefer": "IdType=\"ImmutableId\""]
            let immutable = try await emulator.get(
                "/v1.0/me/messages/\(encoded(message.id))?$expand=attachments&$select=subject", headers: immutableHeader).json()
            let immutableIDs = ((immutable["attachments"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(immutableIDs.allSatisfy { $0.hasPrefix(String(message.immutableID.dropLast())) })

            // A move changes the regular attachment ids with the message id; the immutable ones stay.
            let moved = try await mailbox.move(id: message.id, to: "archive")
            let afterMove = try await emulator.get("/v1.0/me/messages/\(encoded(moved.id))?$expand=attachments&$select=subject").json()
            let movedIDs = ((afterMove["attachments"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(movedIDs.count == ids.count && Set(movedIDs).isDisjoint(with: ids))
            let immutableAfter = try await emulator.get(
                "/v1.0/me/messages/\(encoded(moved.id))?$expand=attachments&$select=subject", headers: immutableHeader).json()
            #expect(((immutableAfter["attachments"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } == immutableIDs)

            let list = try await emulator.get(
                "/v1.0/me/messages?$expand=attachments&$top=5&$select=hasAttachments&$filter=\(encoded("hasAttachments eq true"))")
            let items = try list.items()
            #expect(items.count == 5)
            #expect(items.allSatisfy { !((($0["attachments"] as? [[String: Any]]) ?? []).isEmpty) })
            #expect(try await emulator.get("/v1.0/me/messages?$expand=mentionsX").status == 400)
        }
    }

    @Test("Prefer: outlook.body-content-type applies to lists and answers Preference-Applied")
    func bodyPreferenceOnLists() async throws {
        let mailbox = Mailbox(messageCount: 100, seed: 12)
        try await withEmulator(mailbox: mailbox) { emulator in
            let text = try await emulator.get(
                "/v1.0/me/mailFolders/inbox/messages?$top=20&$select=body,uniqueBody",
                headers: ["Prefer": "outlook.body-content-type=\"text\""])
            #expect(text.header("Preference-Applied") == "outlook.body-content-type=\"text\"")
            let items = try text.items()
            #expect(items.count == 20)
            for item in items {
                #expect((item["body"] as? [String: Any])?["contentType"] as? String == "text")
                #expect((item["uniqueBody"] as? [String: Any])?["contentType"] as? String == "text")
                #expect(((item["body"] as? [String: Any])?["content"] as? String)?.contains("<html") == false)
            }
            let html = try await emulator.get(
                "/v1.0/me/messages?$top=20&$select=body", headers: ["Prefer": "outlook.body-content-type=\"html\""])
            #expect(html.header("Preference-Applied") == "outlook.body-content-type=\"html\"")
            #expect(try html.items().allSatisfy { ($0["body"] as? [String: Any])?["contentType"] as? String == "html" })
            let plain = try await emulator.get("/v1.0/me/messages?$top=5&$select=body")
            #expect(plain.header("Preference-Applied") == nil)
        }
    }
}
