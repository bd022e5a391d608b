import Foundation
import GraphEmulator
import Testing

@Suite("The /_emulator control surface")
struct ControlSurfaceTests {
    static var newMail: [String: Any] { [
        "subject": "Quarterly numbers",
        "from": ["emailAddress": ["name": "Dana Reyes", "address": "dana.reyes@fabrikam.com"]],
        "body": ["contentType": "HTML", "content": "<p>See the <b>attached</b> figures.</p>"],
        "categories": ["Blue category"],
        "importance": "high",
        "flag": ["flagStatus": "flagged"],
        "receivedDateTime": "2031-03-04T05:06:07Z",
    ] }

    /// A message of the dump by id.
    static func dumped(_ emulator: Emulator, _ id: String) async throws -> [String: Any]? {
        let messages = try #require(try await emulator.controlJSON("GET", "/mailbox")["messages"] as? [[String: Any]])
        return messages.first { $0["id"] as? String == id || $0["immutableId"] as? String == id }
    }

    @Test("Delivered mail lands in the Inbox, is listed by Graph and reported by delta")
    func deliverToInbox() async throws {
        try await withControlledEmulator { emulator in
            let deltaLink = try await emulator.deltaLink("inbox")
            let response = try await emulator.control("POST", "/deliver", json: Self.newMail)
            #expect(response.status == 201)
            let delivered = try response.json()
            let id = try #require(delivered["id"] as? String)
            #expect(delivered["folder"] as? String == "Inbox")
            #expect(delivered["subject"] as? String == "Quarterly numbers")
            #expect(delivered["receivedDateTime"] as? String == "2031-03-04T05:06:07Z")
            #expect(delivered["isRead"] as? Bool == false)
            #expect(delivered["importance"] as? String == "high")
            #expect((delivered["flag"] as? [String: Any])?["flagStatus"] as? String == "flagged")
            #expect(delivered["categories"] as? [String] == ["Blue category"])

            let newest = try #require(try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=1").items().first)
            #expect(newest["id"] as? String == id)
            #expect((newest["body"] as? [String: Any])?["contentType"] as? String == "html")
            #expect(((newest["from"] as? [String: Any])?["emailAddress"] as? [String: Any])?["address"] as? String
                == "dana.reyes@fabrikam.com")

            let changes = try await emulator.get(deltaLink).items()
            #expect(changes.map { $0["id"] as? String } == [id])
        }
    }

    @Test("Delivery to the Inbox applies the sender's Focused Inbox override; other folders are Focused")
    func deliverWithOverride() async throws {
        try await withControlledEmulator { emulator in
            try await emulator.server.mailbox.upsertClassificationOverride(
                sender: .init(name: "Dana Reyes", address: "Dana.Reyes@fabrikam.com"), classifyAs: .other)
            var mail = Self.newMail
            mail["inferenceClassification"] = "focused"
            let inbox = try await emulator.controlJSON("POST", "/deliver", json: mail)
            #expect(inbox["inferenceClassification"] as? String == "other")

            let archived = try await emulator.controlJSON("POST", "/deliver?folder=archive", json: mail)
            #expect(archived["folder"] as? String == "Archive")
            #expect(archived["inferenceClassification"] as? String == "focused")
            let dumped = try await emulator.controlJSON("GET", "/mailbox")
            let overrides = try #require(dumped["classificationOverrides"] as? [[String: Any]])
            #expect(overrides.first?["classifyAs"] as? String == "other")
        }
    }

    @Test("Delivery to a folder by id, well-known name or path; mistakes are 400 or 404")
    func deliverToFolders() async throws {
        try await withControlledEmulator { emulator in
            let snapshot = await emulator.server.mailbox.snapshot()
            let nested = try #require(snapshot.folders.first { $0.path.split(separator: "/").count >= 2 })
            let byPath = try await emulator.controlJSON("POST", "/deliver?folder=\(encoded(nested.path.uppercased()))", json: Self.newMail)
            #expect(byPath["parentFolderId"] as? String == nested.id)
            let byID = try await emulator.controlJSON("POST", "/deliver?folder=\(encoded(nested.id))", json: Self.newMail)
            #expect(byID["parentFolderId"] as? String == nested.id)
            let junk = try await emulator.controlJSON("POST", "/deliver?folder=JunkEmail", json: Self.newMail)
            #expect(junk["folder"] as? String == "Junk Email")

            var anonymous = Self.newMail
            anonymous["from"] = nil
            #expect(try await emulator.control("POST", "/deliver", json: anonymous).status == 400)
            #expect(try await emulator.control("POST", "/deliver?folder=Nowhere", json: Self.newMail).status == 404)
            var readOnly = Self.newMail
            readOnly["isDraft"] = true
            #expect(try await emulator.control("POST", "/deliver", json: readOnly).status == 400)
            let notJSON = try await emulator.exchange("POST", "/_emulator/deliver", body: Array("{".utf8), contentType: "application/json")
            #expect(notJSON.status == 400)
        }
    }

    @Test("Another client's update is seen by Graph and by delta; drafts-only properties are refused")
    func update() async throws {
        try await withControlledEmulator { emulator in
            let message = try #require(try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=1&$filter=isRead+eq+false").items().first)
            let id = try #require(message["id"] as? String)
            let deltaLink = try await emulator.deltaLink("inbox")
            let updated = try await emulator.controlJSON("POST", "/messages/\(encoded(id))/update", json: [
                "isRead": true, "categories": ["Red category"], "flag": ["flagStatus": "flagged"], "inferenceClassification": "other",
            ])
            #expect(updated["isRead"] as? Bool == true)
            #expect(updated["changeKey"] as? String != nil)
            let seen = try await emulator.get("/v1.0/me/messages/\(encoded(id))?$select=isRead,categories,flag,inferenceClassification").json()
            #expect(seen["isRead"] as? Bool == true)
            #expect(seen["categories"] as? [String] == ["Red category"])
            #expect((seen["flag"] as? [String: Any])?["flagStatus"] as? String == "flagged")
            #expect(seen["inferenceClassification"] as? String == "other")
            let changes = try await emulator.get(deltaLink).items()
            #expect(changes.map { $0["id"] as? String } == [id])

            let subject = try await emulator.control("POST", "/messages/\(encoded(id))/update", json: ["subject": "Changed"])
            #expect(subject.status == 400)
            let missing = try await emulator.control("POST", "/messages/AAMkADunknownmessageidAAA=/update", json: ["isRead": true])
            #expect(missing.status == 404)
        }
    }

    @Test("A move by another client: new regular id, same immutable id, @removed in the source's delta")
    func move() async throws {
        try await withControlledEmulator { emulator in
            let message = try #require(try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=1").items().first)
            let id = try #require(message["id"] as? String)
            let before = try #require(try await Self.dumped(emulator, id))
            let deltaLink = try await emulator.deltaLink("inbox")
            let moved = try await emulator.controlJSON("POST", "/messages/\(encoded(id))/move", json: ["destinationId": "archive"])
            let newID = try #require(moved["id"] as? String)
            #expect(newID != id)
            #expect(moved["immutableId"] as? String == before["immutableId"] as? String)
            #expect(moved["folder"] as? String == "Archive")
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(id))").status == 404)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(newID))").status == 200)
            let removed = try await emulator.get(deltaLink).items()
            #expect(removed.count == 1)
            #expect(removed.first?["id"] as? String == id)
            #expect(removed.first?["@removed"] != nil)

            #expect(try await emulator.control("POST", "/messages/\(encoded(newID))/move", json: [:]).status == 400)
            #expect(try await emulator.control("POST", "/messages/\(encoded(newID))/move", json: ["destinationId": "Nowhere"]).status == 404)
            // Delete moves to Deleted Items, then removes for good.
            let deleted = try await emulator.controlJSON("POST", "/messages/\(encoded(newID))/delete")
            #expect(deleted["folder"] as? String == "Deleted Items")
            #expect(deleted["immutableId"] as? String == before["immutableId"] as? String)
            let immutableID = try #require(before["immutableId"] as? String)
            let gone = try await emulator.controlJSON("POST", "/messages/\(encoded(immutableID))/delete", json: ["permanent": true])
            #expect(gone["permanent"] as? Bool == true)
            #expect(try await Self.dumped(emulator, immutableID) == nil)
        }
    }

    @Test("Expired delta tokens answer 410 SyncStateNotFound with a Location to start over")
    func expireDeltaTokens() async throws {
        try await withControlledEmulator { emulator in
            let deltaLink = try await emulator.deltaLink("inbox")
            #expect(try await emulator.get(deltaLink).status == 200)
            let expired = try await emulator.controlJSON("POST", "/expire", json: ["deltaTokens": true])
            #expect((expired["expired"] as? [String: Any])?["deltaTokens"] as? Bool == true)
            let gone = try await emulator.get(deltaLink)
            #expect(gone.status == 410)
            #expect(try gone.errorCode()?.lowercased() == "syncstatenotfound")
            let location = try #require(gone.header("Location"))
            #expect(location.contains("/messages/delta"))
            #expect(!location.contains("deltatoken="))
            // Starting over works, and so do the new tokens.
            let fresh = try await emulator.deltaLink("inbox")
            #expect(try await emulator.get(fresh).status == 200)

            #expect(try await emulator.control("POST", "/expire", json: ["everything": true]).status == 400)
            #expect(try await emulator.control("POST", "/expire").status == 400)
        }
    }

    @Test("Statistics count Graph and sign-in requests per endpoint template and status")
    func statistics() async throws {
        try await withControlledEmulator { emulator in
            _ = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta")
            _ = try await emulator.get("/beta/me/mailFolders('Inbox')/messages/microsoft.graph.delta()")
            _ = try await emulator.get("/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=forged")
            _ = try await emulator.get("/v1.0/me/messages?$top=2")
            _ = try await emulator.get("/v1.0/me", token: nil)
            _ = try await emulator.get("/v1.0/users/\(emulator.mailbox.owner.id)/mailfolders")
            _ = try await emulator.postForm("/common/oauth2/v2.0/devicecode", [("client_id", "c"), ("scope", "Mail.Read")])
            _ = try await emulator.control("GET", "/mailbox")
            let stats = try await emulator.stats()
            #expect(stats == [
                "GET /me/mailFolders/{id}/messages/delta": ["200": 2, "410": 1],
                "GET /me/messages": ["200": 1],
                "GET /me": ["401": 1],
                "GET /users/{id}/mailFolders": ["200": 1],
                "POST /{tenant}/oauth2/v2.0/devicecode": ["200": 1],
            ])
            #expect(emulator.server.requestCounts()["GET /me/messages"] == [200: 1])
            let cleared = try await emulator.controlJSON("DELETE", "/stats")
            #expect(cleared.isEmpty)
            #expect(try await emulator.stats().isEmpty)
        }
    }

    @Test("The mailbox dump holds every folder and message with ids, place and state")
    func dump() async throws {
        try await withControlledEmulator { emulator in
            let snapshot = await emulator.server.mailbox.snapshot()
            let dump = try await emulator.controlJSON("GET", "/mailbox")
            let folders = try #require(dump["folders"] as? [[String: Any]])
            let messages = try #require(dump["messages"] as? [[String: Any]])
            #expect(folders.map { $0["id"] as? String } == snapshot.folders.map(\.id))
            #expect(messages.map { $0["id"] as? String } == snapshot.messages.map(\.id))
            #expect(messages.map { $0["immutableId"] as? String } == snapshot.messages.map(\.immutableID))
            #expect(messages.map { $0["isRead"] as? Bool } == snapshot.messages.map(\.isRead))
            #expect(messages.map { $0["parentFolderId"] as? String } == snapshot.messages.map(\.parentFolderID))
            #expect(messages.map { $0["inferenceClassification"] as? String } == snapshot.messages.map(\.inferenceClassification.rawValue))
            #expect(messages.map { ($0["flag"] as? [String: Any])?["flagStatus"] as? String } == snapshot.messages.map(\.flag.status.rawValue))
            #expect(messages.map { $0["categories"] as? [String] } == snapshot.messages.map(\.categories))
            #expect((dump["owner"] as? [String: Any])?["address"] as? String == snapshot.owner.address)
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            #expect((folders.first { $0["id"] as? String == inbox.id })?["totalItemCount"] as? Int == inbox.totalItemCount)

            let only = try await emulator.controlJSON("GET", "/mailbox?folder=Inbox")
            #expect((only["messages"] as? [[String: Any]])?.count == snapshot.messages(inFolder: inbox.id).count)
            #expect((only["folders"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("Reset brings back the initial mailbox and invalidates its delta tokens")
    func reset() async throws {
        try await withControlledEmulator { emulator in
            let initial = try await emulator.control("GET", "/mailbox").body
            let deltaLink = try await emulator.deltaLink("inbox")
            let delivered = try await emulator.controlJSON("POST", "/deliver", json: Self.newMail)
            let first = try #require(try await emulator.get("/v1.0/me/mailFolders/inbox/messages?$top=2").items().last)
            try await emulator.controlJSON("POST", "/messages/\(encoded(first["id"] as? String ?? ""))/move", json: ["destinationId": "archive"])
            #expect(try await emulator.control("GET", "/mailbox").body != initial)

            let reset = try await emulator.controlJSON("POST", "/reset")
            #expect(reset["messages"] as? Int == 60)
            #expect(try await emulator.control("GET", "/mailbox").body == initial)
            #expect(try await emulator.get("/v1.0/me/messages/\(encoded(delivered["id"] as? String ?? ""))").status == 404)
            #expect(try await emulator.get(deltaLink).status == 410)
        }
    }

    @Test("A server given a ready-made Mailbox cannot reset; unknown endpoints and methods are refused")
    func refusals() async throws {
        try await withEmulator(messages: 10) { emulator in
            let reset = try await emulator.control("POST", "/reset")
            #expect(reset.status == 409)
            #expect(try reset.errorCode() == "ResetUnavailable")
            #expect(try await emulator.control("GET", "/nothing").status == 404)
            #expect(try await emulator.control("GET", "/reset").status == 405)
            #expect(try await emulator.control("PUT", "/messages/x/update").status == 405)
            let index = try await emulator.controlJSON("GET", "")
            #expect((index["endpoints"] as? [String])?.contains("POST /_emulator/deliver?folder=FOLDER") == true)
            // The control surface needs no token, and a Graph token is not needed there either.
            #expect(try await emulator.exchange("GET", "/_emulator/stats").status == 200)
        }
    }
}
