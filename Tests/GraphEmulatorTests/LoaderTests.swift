import Foundation
import GraphEmulator
import Testing

@Suite("JSON Lines loader")
struct LoaderTests {
    static let root = "AAMkADrootfolderAAA="
    static let inbox = "AAMkADinboxfolderAA="
    static let projects = "AAMkADprojectsfolder="
    static let sent = "AAMkADsentitemsfolder="

    static let folders = """
        {"id": "\(inbox)", "displayName": "Inbox", "parentFolderId": "\(root)", "childFolderCount": 1, "unreadItemCount": 1, "totalItemCount": 2, "isHidden": false, "@tuibench.path": "Inbox", "somethingNew": [1, 2]}
        {"id": "\(projects)", "displayName": "Projects", "parentFolderId": "\(inbox)", "isHidden": false, "@tuibench.path": "Inbox/Projects"}
        {"id": "\(sent)", "displayName": "Sent Items", "parentFolderId": "\(root)", "isHidden": false}

        """

    static func message(
        id: String, folder: String, received: String, subject: String, isRead: Bool = true, importance: String = "normal",
        flag: String = #"{"flagStatus": "notFlagged"}"#, extra: String = ""
    ) -> String {
        """
        {"@odata.etag": "W/\\"CQAAABYAAAxyz\\"", "id": "\(id)", "createdDateTime": "\(received)", "lastModifiedDateTime": "\(received)", "changeKey": "CQAAABYAAAxyz", "categories": [], "receivedDateTime": "\(received)", "sentDateTime": "\(received)", "hasAttachments": false, "internetMessageId": "<\(id.count)@example.com>", "subject": "\(subject)", "bodyPreview": "Preview of \(subject)", "importance": "\(importance)", "parentFolderId": "\(folder)", "conversationId": "AAQkADconv=", "isRead": \(isRead), "isDraft": false, "inferenceClassification": "focused", "body": {"contentType": "html", "content": "<html><body><p>Body of \(subject)</p></body></html>"}, "from": {"emailAddress": {"name": "José García", "address": "jose.garcia@fabrikam.com"}}, "toRecipients": [{"emailAddress": {"name": "Alex Morgan", "address": "alex.morgan@contoso.com"}}], "flag": \(flag), "@tuibench.folderPath": "Inbox"\(extra)}
        """
    }

    static let messages = [
        message(id: "AAMkADmessageoneAAA=", folder: inbox, received: "2025-03-01T10:00:00Z", subject: "Older"),
        message(
            id: "AAMkADmessagetwoAAA=", folder: inbox, received: "2025-03-02T10:00:00Z", subject: "Newer ✈️",
            isRead: false, importance: "high",
            flag: #"{"flagStatus": "flagged", "startDateTime": {"dateTime": "2025-03-02T00:00:00.0000000", "timeZone": "UTC"}, "dueDateTime": {"dateTime": "2025-03-05T00:00:00.0000000", "timeZone": "UTC"}}"#,
            extra: #", "@tuibench.mentionsOwner": true, "unknownProperty": {"nested": true}"#),
        message(id: "AAMkADmessagethreeA=", folder: sent, received: "2025-03-03T10:00:00Z", subject: "Sent one"),
    ].joined(separator: "\n") + "\n"

    static let attachments = """
        {"@odata.type": "#microsoft.graph.fileAttachment", "@odata.mediaContentType": "text/plain", "id": "AAMkADattachmentA=", "lastModifiedDateTime": "2025-03-02T09:00:00Z", "name": "notes.txt", "contentType": "text/plain", "size": 5, "isInline": false, "contentId": null, "contentLocation": null, "contentBytes": "aGVsbG8=", "@tuibench.messageId": "AAMkADmessagetwoAAA="}

        """

    static let manifest = """
        {"generatorVersion": 1, "owner": {"name": "Alex Morgan", "address": "alex.morgan@contoso.com"}, "graphRootFolderId": "\(root)", "stats": {"unread": 1}}
        """

    /// Writes a corpus into a fresh temporary directory.
    static func corpus(messages: String = messages, folders: String = folders, attachments: String? = attachments) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-loader-\(UUID().uuidString)")
        let graph = directory.appendingPathComponent("graph")
        try FileManager.default.createDirectory(at: graph, withIntermediateDirectories: true)
        try manifest.write(to: directory.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        try folders.write(to: graph.appendingPathComponent("folders.jsonl"), atomically: true, encoding: .utf8)
        try messages.write(to: graph.appendingPathComponent("messages.jsonl"), atomically: true, encoding: .utf8)
        if let attachments {
            try attachments.write(to: graph.appendingPathComponent("attachments.jsonl"), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("Loads folders, messages and attachments, ignoring unknown fields")
    func loads() throws {
        let directory = try Self.corpus()
        defer { try? FileManager.default.removeItem(at: directory) }
        let content = try MailboxLoader.load(directory: directory)
        #expect(content.rootFolderID == Self.root)
        #expect(content.owner.address == "alex.morgan@contoso.com")
        #expect(content.folders.map(\.path) == ["Inbox", "Inbox/Projects", "Sent Items"])
        #expect(content.folders.map(\.wellKnownName) == ["inbox", nil, "sentitems"])
        #expect(content.messages.count == 3)

        let newer = try #require(content.messages.first { $0.id == "AAMkADmessagetwoAAA=" })
        #expect(newer.subject == "Newer ✈️")
        #expect(!newer.isRead)
        #expect(newer.importance == .high)
        #expect(newer.mentionsOwner)
        #expect(newer.flag.status == .flagged)
        #expect(newer.flag.dueDateTime == ISO8601DateFormatter().date(from: "2025-03-05T00:00:00Z"))
        #expect(newer.receivedDateTime == ISO8601DateFormatter().date(from: "2025-03-02T10:00:00Z"))
        #expect(newer.body.contentType == .html)
        #expect(newer.bodyPreview == "Preview of Newer ✈️")
        #expect(newer.from?.name == "José García")
        #expect(newer.attachments.map(\.name) == ["notes.txt"])
        #expect(newer.attachments.first?.contentBytes == "aGVsbG8=")
        #expect(newer.immutableID != newer.id)
        #expect(content.referenceDate == ISO8601DateFormatter().date(from: "2025-03-03T10:00:00Z"))

        let again = try MailboxLoader.load(directory: directory.appendingPathComponent("graph"))
        #expect(again == content)
    }

    @Test("A loaded mailbox is served like a generated one")
    func serves() async throws {
        let directory = try Self.corpus(attachments: nil)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mailbox = Mailbox(content: try MailboxLoader.load(directory: directory))
        try await withEmulator(mailbox: mailbox) { emulator in
            let list = try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$select=subject,bodyPreview")
            let items = try list.items()
            #expect(items.compactMap { $0["id"] as? String } == ["AAMkADmessagetwoAAA=", "AAMkADmessageoneAAA="])
            #expect(items.first?["bodyPreview"] as? String == "Preview of Newer ✈️")
            let folder = try await emulator.get("/v1.0/me/mailFolders/inbox")
            let json = try folder.json()
            #expect(json["totalItemCount"] as? Int == 2)
            #expect(json["unreadItemCount"] as? Int == 1)
            #expect(json["childFolderCount"] as? Int == 1)
            let text = try await emulator.get(
                "/v1.0/me/messages/AAMkADmessageoneAAA=?$select=body", headers: ["Prefer": "outlook.body-content-type=\"text\""])
            #expect((try text.json()["body"] as? [String: Any])?["content"] as? String == "Body of Older")
        }
    }

    @Test("Bad input is reported with the file and line")
    func errors() throws {
        func failure(_ messages: String, folders: String = Self.folders) throws -> String {
            let directory = try Self.corpus(messages: messages, folders: folders, attachments: nil)
            defer { try? FileManager.default.removeItem(at: directory) }
            do {
                _ = try MailboxLoader.load(directory: directory)
            } catch let error as MailboxLoaderError {
                return error.description
            }
            Issue.record("loading did not fail")
            return ""
        }
        let good = Self.message(id: "AAMkADmessageoneAAA=", folder: Self.inbox, received: "2025-03-01T10:00:00Z", subject: "A")
        #expect(try failure(good + "\n{not json\n") == "messages.jsonl line 2: not valid JSON")
        let unknownFolder = Self.message(id: "AAMkADmessagetwoAAA=", folder: "AAMkADnowhereAAAA=", received: "2025-03-01T10:00:00Z", subject: "B")
        #expect(try failure(good + "\n" + unknownFolder).hasPrefix("messages.jsonl line 2: parentFolderId AAMkADnowhereAAAA="))
        #expect(try failure(#"{"id": "AAMkADx="}"#).hasPrefix("messages.jsonl line 1: missing \"parentFolderId\""))
        let badDate = good.replacingOccurrences(of: "\"receivedDateTime\": \"2025-03-01T10:00:00Z\"", with: "\"receivedDateTime\": \"yesterday\"")
        #expect(try failure(badDate) == "messages.jsonl line 1: receivedDateTime 'yesterday' is not a date")
        let badEnum = good.replacingOccurrences(of: "\"importance\": \"normal\"", with: "\"importance\": \"urgent\"")
        #expect(try failure(badEnum).hasPrefix("messages.jsonl line 1: importance 'urgent'"))
        #expect(try failure(good + "\n" + good).hasPrefix("messages.jsonl line 2: duplicate message id"))
        let orphan = #"{"id": "AAMkADorphanAAA=", "displayName": "Lost", "parentFolderId": "AAMkADmissingAA="}"#
        #expect(try failure(good, folders: Self.folders + orphan + "\n").hasPrefix("folders.jsonl line 4: parentFolderId"))

        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("otter-missing-\(UUID().uuidString)")
        #expect(throws: MailboxLoaderError.self) { try MailboxLoader.load(directory: missing) }
    }
}
