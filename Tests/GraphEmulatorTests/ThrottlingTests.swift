import Foundation
import GraphEmulator
import Testing

@Suite("Throttling like Outlook: concurrency and request budget")
struct ThrottlingTests {
    @Test("A fifth concurrent request on the mailbox gets 429 ApplicationThrottled (MailboxConcurrency)")
    func concurrency() async throws {
        try await withControlledEmulator { emulator in
            // Four requests are held open by the fault schedule while the fifth arrives.
            try await emulator.controlJSON("POST", "/faults", json: ["spec": "GET me/messages:latency=3000"])
            let held = (0..<4).map { _ in
                Task { try await emulator.get("/v1.0/me/messages?$top=1&$select=subject") }
            }
            try await emulator.waitUntil("four requests are in flight") { try await emulator.inFlight() == 4 }

            let fifth = try await emulator.get("/v1.0/me")
            #expect(fifth.status == 429)
            #expect(try fifth.errorCode() == "ApplicationThrottled")
            let error = try #require(try fifth.json()["error"] as? [String: Any])
            #expect(error["message"] as? String == "Application is over its MailboxConcurrency limit.")
            #expect(fifth.header("Retry-After") == "1")

            for task in held { #expect(try await task.value.status == 200) }
            #expect(try await emulator.inFlight() == 0)
            // Once a slot is free again, the mailbox answers.
            #expect(try await emulator.get("/v1.0/me").status == 200)
            let stats = try await emulator.stats()
            #expect(stats["GET /me/messages"] == ["200": 4])
            #expect(stats["GET /me"] == ["429": 1, "200": 1])
        }
    }

    @Test("A spent request budget answers 429 TooManyRequests with Retry-After until the window moves on")
    func budget() async throws {
        try await withControlledEmulator(configure: {
            $0.throttling.budget = RequestBudget(requests: 3, window: .seconds(600))
        }) { emulator in
            // Requests without a valid token are not the mailbox's: they do not count.
            #expect(try await emulator.get("/v1.0/me", token: "wrong").status == 401)
            for _ in 0..<3 { #expect(try await emulator.get("/v1.0/me").status == 200) }
            let throttled = try await emulator.get("/v1.0/me/mailFolders")
            #expect(throttled.status == 429)
            #expect(try throttled.errorCode() == "TooManyRequests")
            let error = try #require(try throttled.json()["error"] as? [String: Any])
            #expect(error["message"] as? String == "Please retry again later.")
            let inner = try #require(error["innerError"] as? [String: Any])
            #expect(inner["code"] as? String == "429")
            #expect(inner["status"] as? String == "429")
            #expect(inner["message"] as? String == "Please retry after")
            #expect(inner["request-id"] as? String == throttled.header("request-id"))
            let retryAfter = try #require(throttled.header("Retry-After").flatMap(Int.init))
            #expect((590...600).contains(retryAfter))

            // Throttled requests are not counted, so the window still holds three.
            #expect(try await emulator.get("/v1.0/me").status == 429)
            let state = try await emulator.controlJSON("GET", "/throttle")
            let budget = try #require(state["budget"] as? [String: Any])
            #expect(budget["inWindow"] as? Int == 3)
            #expect(budget["requests"] as? Int == 3)
            #expect(state["maxConcurrentRequests"] as? Int == 4)

            try await emulator.controlJSON("POST", "/throttle", json: ["clearWindow": true])
            #expect(try await emulator.get("/v1.0/me").status == 200)
            // Throttling can be switched off for benchmarks.
            try await emulator.controlJSON("POST", "/throttle", json: ["budget": NSNull(), "maxConcurrentRequests": NSNull()])
            for _ in 0..<5 { #expect(try await emulator.get("/v1.0/me").status == 200) }
            let off = try await emulator.controlJSON("GET", "/throttle")
            #expect(off["budget"] is NSNull)
            #expect(off["maxConcurrentRequests"] is NSNull)
        }
    }

    @Test("Inside $batch each item meets the budget on its own: a 429 item in a 200 batch")
    func batchItems() async throws {
        try await withControlledEmulator(configure: {
            $0.throttling.budget = RequestBudget(requests: 2, window: .seconds(600))
        }) { emulator in
            let requests = (1...3).map { ["id": "\($0)", "method": "GET", "url": "/me/mailFolders/inbox/messages?$top=1"] }
            let response = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": requests])
            #expect(response.status == 200)
            let items = try #require(try response.json()["responses"] as? [[String: Any]])
            #expect(items.compactMap { $0["status"] as? Int }.sorted() == [200, 200, 429])
            let throttled = try #require(items.first { $0["status"] as? Int == 429 })
            let headers = try #require(throttled["headers"] as? [String: String])
            #expect(headers.first { $0.key.lowercased() == "retry-after" }.flatMap { Int($0.value) }.map { $0 > 0 } == true)
            #expect(((throttled["body"] as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "TooManyRequests")
            let stats = try await emulator.stats()
            #expect(stats["$batch GET /me/mailFolders/{id}/messages"] == ["200": 2, "429": 1])
            #expect(stats["POST /$batch"] == ["200": 1])
        }
    }

    @Test("A batch runs four items at a time and takes no slot itself, so it never trips MailboxConcurrency")
    func batchConcurrency() async throws {
        try await withControlledEmulator { emulator in
            try await emulator.controlJSON("POST", "/faults", json: ["spec": "GET me/messages:latency=200;GET /me:503x1"])
            let requests = (1...8).map { ["id": "\($0)", "method": "GET", "url": "/me/messages?$top=1&$select=subject"] }
                + [["id": "me", "method": "GET", "url": "/me"]]
            let response = try await emulator.sendJSON("POST", "/v1.0/$batch", ["requests": requests])
            #expect(response.status == 200)
            let items = try #require(try response.json()["responses"] as? [[String: Any]])
            let statuses = Dictionary(uniqueKeysWithValues: items.compactMap { item in
                (item["id"] as? String).map { ($0, item["status"] as? Int ?? 0) }
            })
            #expect(statuses.filter { $0.key != "me" }.values.allSatisfy { $0 == 200 })
            // Status faults reach batch items too.
            #expect(statuses["me"] == 503)
            #expect(try await emulator.inFlight() == 0)
        }
    }

    @Test("The sign-in endpoints and the control surface are not throttled")
    func outsideTheMailbox() async throws {
        try await withControlledEmulator(configure: {
            $0.throttling.budget = RequestBudget(requests: 1, window: .seconds(600))
        }) { emulator in
            #expect(try await emulator.get("/v1.0/me").status == 200)
            #expect(try await emulator.get("/v1.0/me").status == 429)
            for _ in 0..<3 {
                #expect(try await emulator.control("GET", "/stats").status == 200)
                let device = try await emulator.postForm(
                    "/common/oauth2/v2.0/devicecode", [("client_id", "c"), ("scope", "Mail.Read")])
                #expect(device.status == 200)
            }
        }
    }
}
