import Foundation
import GraphEmulator
import Testing

@Suite("JSON batching")
struct BatchTests {
    /// The `responses` of a batch, by id.
    static func responses(_ response: TestResponse) throws -> [String: [String: Any]] {
        let items = try #require(try response.json()["responses"] as? [[String: Any]])
        var byID: [String: [String: Any]] = [:]
        for item in items {
            let id = try #require(item["id"] as? String)
            #expect(byID[id] == nil, "response id \(id) twice")
            byID[id] = item
        }
        return byID
    }

    @Test("Items go through the same routes: per-item status, headers and body; errors stay inside a 200")
    func independentItems() async throws {
        let mailbox = Mailbox(messageCount: 150, seed: 14)
        let snapshot = await mailbox.snapshot()
        let message = try #require(snapshot.messages.first { !$0.isRead })
        try await withEmulator(mailbox: mailbox) { emulator in
            let batch = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [
                ["id": "1", "method": "GET", "url": "/me/mailFolders/inbox/messages?$top=3&$select=subject"],
                ["id": "2", "method": "PATCH", "url": "/me/messages/\(encoded(message.id))",
                 "headers": ["Content-Type": "application/json"], "body": ["isRead": true]],
                ["id": "3", "method": "GET", "url": "me/messages/AAMkADnotAnIdAtAllButLongEnoughAAA="],
                ["id": "4", "method": "GET", "url": "/me/mailFolders/inbox?$select=displayName",
                 "headers": ["Prefer": "IdType=\"ImmutableId\""]],
                ["id": "5", "method": "POST", "url": "/me/messages/\(encoded(message.id))/move",
                 "headers": ["Content-Type": "application/json"], "body": ["destinationId": "nowhere-at-all"]],
                ["id": "6", "method": "DELETE", "url": "/me/messages/\(encoded(snapshot.messages[5].id))"],
            ]])
            #expect(batch.status == 200)
            let responses = try Self.responses(batch)
            #expect(Set(responses.keys) == ["1", "2", "3", "4", "5", "6"])

            let list = try #require(responses["1"])
            #expect(list["status"] as? Int == 200)
            #expect(((list["headers"] as? [String: Any])?["Content-Type"] as? String)?.hasPrefix("application/json") == true)
            let listBody = try #require(list["body"] as? [String: Any])
            #expect((listBody["value"] as? [[String: Any]])?.count == 3)
            #expect((listBody["@odata.nextLink"] as? String)?.contains("/v1.0/me/mailFolders/inbox/messages?") == true)

            #expect(responses["2"]?["status"] as? Int == 200)
            #expect((responses["2"]?["body"] as? [String: Any])?["isRead"] as? Bool == true)
            #expect(try await mailbox.message(id: message.id).isRead)

            #expect(responses["3"]?["status"] as? Int == 404)
            let error = (responses["3"]?["body"] as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "ErrorItemNotFound")
            #expect((responses["4"]?["body"] as? [String: Any])?["displayName"] as? String == "Inbox")
            #expect(responses["5"]?["status"] as? Int == 404)
            #expect(responses["6"]?["status"] as? Int == 204)
            #expect(responses["6"]?["body"] is NSNull)

            // The same under /beta.
            let beta = try await emulator.sendJSON("POST", "/beta/$batch", ["requests": [
                ["id": "a", "method": "GET", "url": "/me/mailFolders/inbox?$select=wellKnownName"],
            ]])
            #expect(((try Self.responses(beta)["a"]?["body"]) as? [String: Any])?["wellKnownName"] as? String == "inbox")
        }
    }

    @Test("dependsOn runs requests in order; a failed dependency answers 424 without running")
    func dependencies() async throws {
        let mailbox = Mailbox(messageCount: 150, seed: 15)
        let snapshot = await mailbox.snapshot()
        let first = snapshot.messages[0]
        let second = snapshot.messages[1]
        try await withEmulator(mailbox: mailbox) { emulator in
            // Serial: flag, move, then read the message in its new folder by immutable id.
            let batch = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [
                ["id": "read", "method": "GET", "url": "/me/messages/\(encoded(first.immutableID))?$select=parentFolderId,flag",
                 "dependsOn": ["MOVE"]],
                ["id": "move", "method": "POST", "url": "/me/messages/\(encoded(first.id))/move",
                 "headers": ["Content-Type": "application/json"], "body": ["destinationId": "archive"], "dependsOn": ["flag"]],
                ["id": "flag", "method": "PATCH", "url": "/me/messages/\(encoded(first.id))",
                 "headers": ["Content-Type": "application/json"], "body": ["flag": ["flagStatus": "flagged"]]],
                // Same: both depend on one failing request.
                ["id": "bad", "method": "PATCH", "url": "/me/messages/\(encoded(second.id))",
                 "headers": ["Content-Type": "application/json"], "body": ["importance": "urgent"]],
                ["id": "after-bad-1", "method": "DELETE", "url": "/me/messages/\(encoded(second.id))", "dependsOn": ["bad"]],
                ["id": "after-bad-2", "method": "GET", "url": "/me/messages/\(encoded(second.id))", "dependsOn": ["after-bad-1"]],
            ]])
            #expect(batch.status == 200)
            let responses = try Self.responses(batch)
            #expect(responses["flag"]?["status"] as? Int == 200)
            #expect(responses["move"]?["status"] as? Int == 201)
            let read = try #require(responses["read"]?["body"] as? [String: Any])
            let archive = try #require(snapshot.folder(wellKnownName: "archive"))
            #expect(read["parentFolderId"] as? String == archive.id)
            #expect((read["flag"] as? [String: Any])?["flagStatus"] as? String == "flagged")

            #expect(responses["bad"]?["status"] as? Int == 400)
            #expect(responses["after-bad-1"]?["status"] as? Int == 424)
            #expect(responses["after-bad-2"]?["status"] as? Int == 424)
            // The DELETE never ran.
            #expect(try await mailbox.message(id: second.id).parentFolderID == second.parentFolderID)

            // The order of the responses follows execution: a dependency is answered first.
            let order = try #require(try batch.json()["responses"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            let position = { (id: String) in order.firstIndex(of: id) ?? -1 }
            #expect(position("flag") < position("move") && position("move") < position("read"))
            #expect(position("bad") < position("after-bad-1") && position("after-bad-1") < position("after-bad-2"))
        }
    }

    @Test("A send inside a batch works (the body length is known); items may create and send a draft in sequence")
    func sendInBatch() async throws {
        let mailbox = Mailbox(messageCount: 80, seed: 16)
        try await withEmulator(mailbox: mailbox) { emulator in
            let created = try await emulator.sendJSON("POST", "/v1.0/me/messages", [
                "subject": "Batch-sent status", "toRecipients": [recipientJSON("pat.kim@fabrikam.com")],
            ]).json()
            let draftID = try #require(created["id"] as? String)
            let batch = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [
                ["id": "1", "method": "POST", "url": "/me/messages/\(encoded(draftID))/send"],
                ["id": "2", "method": "GET", "url": "/me/mailFolders/sentitems/messages?$top=1&$select=subject", "dependsOn": ["1"]],
            ]])
            let responses = try Self.responses(batch)
            #expect(responses["1"]?["status"] as? Int == 202)
            let sent = (responses["2"]?["body"] as? [String: Any])?["value"] as? [[String: Any]]
            #expect(sent?.first?["subject"] as? String == "Batch-sent status")
        }
    }

    @Test("Malformed batches are a 400 for the whole batch")
    func malformed() async throws {
        try await withEmulator(messages: 40) { emulator in
            let get: [String: Any] = ["method": "GET", "url": "/me"]
            let tooMany = (1...21).map { index in get.merging(["id": String(index)]) { $1 } }
            let twenty = Array(tooMany.prefix(20))
            #expect(try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": twenty]).status == 200)
            let cases: [(String, Any)] = [
                ("21 requests", ["requests": tooMany]),
                ("no requests", ["requests": []]),
                ("not an array", ["requests": "GET /me"]),
                ("duplicate ids (case-insensitive)", ["requests": [get.merging(["id": "a"]) { $1 }, get.merging(["id": "A"]) { $1 }]]),
                ("missing id", ["requests": [get]]),
                ("numeric id", ["requests": [get.merging(["id": 1]) { $1 }]]),
                ("absolute url", ["requests": [["id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"]]]),
                ("unknown method", ["requests": [["id": "1", "method": "TRACE", "url": "/me"]]]),
                ("unknown dependency", ["requests": [get.merging(["id": "1", "dependsOn": ["2"]]) { $1 }]]),
                ("cycle", ["requests": [get.merging(["id": "1", "dependsOn": ["2"]]) { $1 },
                                        get.merging(["id": "2", "dependsOn": ["1"]]) { $1 }]]),
                ("body without Content-Type", ["requests": [["id": "1", "method": "PATCH", "url": "/me/messages/x", "body": ["isRead": true]]]]),
            ]
            for (name, body) in cases {
                let response = try await emulator.sendJSON("POST", "/v1.0/$batch", body)
                #expect(response.status == 400, "\(name)")
                #expect(try response.errorCode() == "BadRequest", "\(name)")
            }
            #expect(try await emulator.sendJSON("GET", "/v1.0/$batch").status == 405)
            #expect(try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [get.merging(["id": "1"]) { $1 }]],
                                                headers: ["Content-Type": "text/plain"]).status == 415)
            let nested = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [
                ["id": "1", "method": "POST", "url": "/$batch", "headers": ["Content-Type": "application/json"], "body": ["requests": []]],
            ]])
            #expect(try Self.responses(nested)["1"]?["status"] as? Int == 400)
            // Items are authorized by the batch request itself; their own headers play no part.
            let itemAuthorization = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": [
                get.merging(["id": "1", "headers": ["Authorization": "Bearer wrong"]]) { $1 },
            ]])
            #expect(try Self.responses(itemAuthorization)["1"]?["status"] as? Int == 200)
            #expect(try await emulator.send("POST", "/v1.0/$batch", token: "wrong").status == 401)
        }
    }
}
