import AsyncHTTPClient
import Foundation
@testable import GraphEmulator
import Testing

@Suite("Fault injection, observed by a client")
struct FaultTests {
    static let messages = "/v1.0/me/mailFolders/inbox/messages?$top=3&$select=subject,isRead,receivedDateTime"

    static func install(_ emulator: Emulator, _ spec: String) async throws {
        try await emulator.controlJSON("POST", "/faults", json: ["spec": spec])
    }

    @Test("A 429 storm with Retry-After: three throttled answers, then the real one; the schedule counts")
    func tooManyRequestsWithRetryAfter() async throws {
        try await withControlledEmulator(configure: {
            $0.faults = try! FaultSchedule(spec: "messages/delta:429x3:retry-after=2")
        }) { emulator in
            let delta = "/v1.0/me/mailFolders/inbox/messages/delta"
            for _ in 0..<3 {
                let response = try await emulator.get(delta)
                #expect(response.status == 429)
                #expect(response.header("Retry-After") == "2")
                #expect(try response.errorCode() == "TooManyRequests")
            }
            #expect(try await emulator.get(delta).status == 200)
            // Other paths never matched.
            #expect(try await emulator.get("/v1.0/me/messages?$top=1").status == 200)
            let rules = try #require(try await emulator.controlJSON("GET", "/faults")["rules"] as? [[String: Any]])
            #expect(rules.first?["seen"] as? Int == 4)
            #expect(rules.first?["fired"] as? Int == 3)
            #expect(try await emulator.stats()["GET /me/mailFolders/{id}/messages/delta"] == ["429": 3, "200": 1])
        }
    }

    @Test("429 without Retry-After, 503 and 504 carry Graph's envelope")
    func statuses() async throws {
        try await withControlledEmulator { emulator in
            try await Self.install(emulator, "GET /me:429x1;GET /me:503:nth=2:count=1;GET /me:504:nth=3:retry-after=1.5")
            let throttled = try await emulator.get("/v1.0/me")
            #expect(throttled.status == 429)
            #expect(throttled.header("Retry-After") == nil)
            let unavailable = try await emulator.get("/v1.0/me")
            #expect(unavailable.status == 503)
            #expect(try unavailable.errorCode() == "serviceNotAvailable")
            let timeout = try await emulator.get("/v1.0/me")
            #expect(timeout.status == 504)
            #expect(timeout.header("Retry-After") == "1.5")
            let inner = try #require((try timeout.json()["error"] as? [String: Any])?["innerError"] as? [String: Any])
            #expect(inner["request-id"] as? String == timeout.header("request-id"))
            // The 504 rule has no count: it goes on.
            #expect(try await emulator.get("/v1.0/me").status == 504)
            // A POST does not match GET rules.
            #expect(try await emulator.exchange("POST", "/v1.0/me/messages", token: Emulator.token).status != 504)
        }
    }

    @Test("Latency rules and --latency-ms hold the answer")
    func latency() async throws {
        try await withControlledEmulator(configure: { $0.latencyMilliseconds = 150 }) { emulator in
            try await Self.install(emulator, "me/mailFolders:latency=250")
            func timed(_ work: () async throws -> TestResponse) async throws -> (TestResponse, Duration) {
                let start = ContinuousClock.now
                let response = try await work()
                return (response, ContinuousClock.now - start)
            }
            let (slow, slowTime) = try await timed { try await emulator.get("/v1.0/me/mailFolders") }
            #expect(slow.status == 200)
            #expect(slowTime >= .milliseconds(400))
            let (base, baseTime) = try await timed { try await emulator.get("/v1.0/me") }
            #expect(base.status == 200)
            #expect(baseTime >= .milliseconds(150))
            // Only the matching Graph request met the rule; the control surface never does.
            let rules = try #require(try await emulator.controlJSON("GET", "/faults")["rules"] as? [[String: Any]])
            #expect(rules.first?["seen"] as? Int == 1)
            #expect(rules.first?["fired"] as? Int == 1)
        }
    }

    @Test("A connection reset mid-body fails the client's read; the next request is fine")
    func reset() async throws {
        try await withControlledEmulator { emulator in
            try await Self.install(emulator, "me/mailFolders/*/messages:resetx1")
            await #expect(throws: (any Error).self) { _ = try await emulator.get(Self.messages) }
            #expect(try await emulator.get(Self.messages).status == 200)
            let rules = try #require(try await emulator.controlJSON("GET", "/faults")["rules"] as? [[String: Any]])
            #expect(rules.first?["fired"] as? Int == 1)
        }
    }

    @Test("Truncated JSON: 200, a consistent Content-Length, half of the real body")
    func truncate() async throws {
        try await withControlledEmulator { emulator in
            let full = try await emulator.get(Self.messages)
            try await Self.install(emulator, "GET messages:truncatex1")
            let cut = try await emulator.get(Self.messages)
            #expect(cut.status == 200)
            #expect(cut.body.count == full.body.count / 2)
            #expect(cut.header("Content-Length") == String(cut.body.count))
            #expect(full.body.starts(with: cut.body))
            #expect((try? JSONSerialization.jsonObject(with: cut.body)) == nil)
        }
    }

    @Test("An HTML page with status 200 instead of JSON")
    func html() async throws {
        try await withControlledEmulator { emulator in
            try await Self.install(emulator, "**:htmlx1")
            let page = try await emulator.get("/v1.0/me")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.text.hasPrefix("<!DOCTYPE html>"))
            #expect(page.header("request-id") != nil)
            #expect(try await emulator.get("/v1.0/me").header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test("Malformed fields: every occurrence gets the wrong type, the rest of the JSON is intact")
    func malformed() async throws {
        try await withControlledEmulator { emulator in
            let full = try await emulator.get(Self.messages).items()
            try await Self.install(emulator, "messages:malformed=isReadx1;messages:malformed=receivedDateTime={\"at\":12}:nth=2")
            let first = try await emulator.get(Self.messages).items()
            #expect(first.count == 3)
            #expect(first.allSatisfy { $0["isRead"] as? String == "maybe" })
            #expect(first.map { $0["subject"] as? String } == full.map { $0["subject"] as? String })
            #expect(first.map { $0["receivedDateTime"] as? String } == full.map { $0["receivedDateTime"] as? String })
            // The first rule is spent; the second fires from its second matching request on.
            let second = try await emulator.get(Self.messages).items()
            #expect(second.allSatisfy { ($0["receivedDateTime"] as? [String: Int]) == ["at": 12] })
            #expect(second.map { $0["isRead"] as? Bool } == full.map { $0["isRead"] as? Bool })
        }
    }

    @Test("Probabilities replay identically for the same seed and the same requests")
    func seededProbability() async throws {
        func pattern(_ emulator: Emulator, seed: Int) async throws -> [Int] {
            try await emulator.controlJSON("POST", "/faults", json: [
                "seed": seed,
                "rules": [["match": ["path": "/me", "method": "GET", "probability": 0.5], "action": ["kind": "status", "status": 503]]],
            ])
            var statuses: [Int] = []
            for _ in 0..<24 { statuses.append(try await emulator.get("/v1.0/me").status) }
            return statuses
        }
        try await withControlledEmulator(configure: { $0.throttling = .unlimited }) { emulator in
            let first = try await pattern(emulator, seed: 11)
            #expect(first.contains(503) && first.contains(200))
            #expect(Set(first) == [200, 503])
            #expect(try await pattern(emulator, seed: 11) == first)
            #expect(try await pattern(emulator, seed: 12) != first)
        }
    }

    @Test("Rules past their end date never fire; faults never touch the control surface")
    func untilAndControl() async throws {
        try await withControlledEmulator { emulator in
            try await emulator.controlJSON("POST", "/faults", json: [
                "rules": [
                    ["match": ["path": "**"], "action": ["kind": "status", "status": 500], "until": "2001-01-01T00:00:00Z"],
                    ["match": ["path": "/_emulator/**"], "action": ["kind": "status", "status": 503]],
                ],
            ])
            #expect(try await emulator.get("/v1.0/me").status == 200)
            #expect(try await emulator.control("GET", "/stats").status == 200)
            let rules = try #require(try await emulator.controlJSON("GET", "/faults")["rules"] as? [[String: Any]])
            #expect(rules.map { $0["fired"] as? Int } == [0, 0])
            #expect(rules.first?["until"] as? String == "2001-01-01T00:00:00Z")
        }
    }

    @Test("Faults reach the sign-in endpoints in the identity platform's envelope")
    func signInFaults() async throws {
        try await withControlledEmulator { emulator in
            try await Self.install(emulator, "POST oauth2/v2.0/devicecode:503x1:retry-after=3")
            let failed = try await emulator.postForm("/common/oauth2/v2.0/devicecode", [("client_id", "c"), ("scope", "Mail.Read")])
            #expect(failed.status == 503)
            #expect(failed.header("Retry-After") == "3")
            #expect(try failed.json()["error"] as? String == "temporarily_unavailable")
            let retried = try await emulator.postForm("/common/oauth2/v2.0/devicecode", [("client_id", "c"), ("scope", "Mail.Read")])
            #expect(retried.status == 200)
            #expect(try await emulator.stats()["POST /{tenant}/oauth2/v2.0/devicecode"] == ["503": 1, "200": 1])
        }
    }

    @Test("Bad schedules are refused with a reason, and the old one stays")
    func badSchedules() async throws {
        try await withControlledEmulator { emulator in
            try await Self.install(emulator, "me:503")
            for body: Any in [
                ["spec": "me:teapot"], ["rules": [["match": ["path": "me"], "action": ["kind": "explode"]]]],
                ["rules": [["match": ["pth": "me"], "action": ["kind": "html"]]]], ["spec": "me:429:retry-after=soon"],
            ] {
                let response = try await emulator.control("POST", "/faults", json: body)
                #expect(response.status == 400)
                #expect(((try response.json()["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false)
            }
            #expect(try await emulator.get("/v1.0/me").status == 503)
            let text = try await emulator.exchange("POST", "/_emulator/faults", body: Array("me:504".utf8), contentType: "text/plain")
            #expect(text.status == 200)
            #expect(try await emulator.get("/v1.0/me").status == 504)
            let cleared = try await emulator.controlJSON("DELETE", "/faults")
            #expect((cleared["rules"] as? [Any])?.isEmpty == true)
            #expect(try await emulator.get("/v1.0/me").status == 200)
        }
    }
}

@Suite("Fault schedule SPEC")
struct FaultScheduleTests {
    @Test("The SPEC form parses every action and option")
    func parse() throws {
        let schedule = try FaultSchedule(
            spec: " seed=7 ; messages/delta:429x3:retry-after=2;*:latency=50; POST */move:503:nth=2:count=1:p=0.25:for=30s;"
                + "me/messages:reset;me:truncate;me:html;messages:malformed=isRead;messages:malformed=flag={\"x\":1}")
        #expect(schedule.seed == 7)
        #expect(schedule.rules.count == 8)
        #expect(schedule.rules[0] == FaultRule(path: "messages/delta", action: .status(429, retryAfter: "2"), count: 3))
        #expect(schedule.rules[1].action == .latency(milliseconds: 50))
        #expect(schedule.rules[2] == FaultRule(
            method: "POST", path: "*/move", action: .status(503, retryAfter: nil), nth: 2, count: 1, probability: 0.25,
            activeFor: .seconds(30)))
        #expect(schedule.rules[3].action == .reset)
        #expect(schedule.rules[4].action == .truncate)
        #expect(schedule.rules[5].action == .html)
        #expect(schedule.rules[6].action == .malformed(field: "isRead", value: "\"maybe\""))
        #expect(schedule.rules[7].action == .malformed(field: "flag", value: "{\"x\":1}"))
        #expect(try FaultSchedule(spec: "").rules.isEmpty)
    }

    @Test("Mistakes in a SPEC are reported", arguments: [
        "messages", "me:999", "me:latency=fast", "me:resetx0", "me:reset:retry-after=1", "me:503:nth=0", "me:503:p=2",
        "me:503:colour=red", "FETCH me:503", "seed=-1", "me:malformed=isRead=maybe", "me:503:for=soon",
    ])
    func mistakes(spec: String) {
        #expect(throws: FaultSpecError.self) { try FaultSchedule(spec: spec) }
    }

    @Test("Globs match path suffixes, one segment per *, any number per **, without regard to case")
    func globs() {
        let cases: [(String, String, Bool)] = [
            ("messages/delta", "/me/mailFolders/inbox/messages/delta", true),
            ("messages/delta", "/me/mailFolders/inbox/messages", false),
            ("*", "/me", true),
            ("*", "/me/messages", true),
            ("/me", "/me", true),
            ("/me", "/users/x/me", false),
            ("me/*/messages", "/me/mailFolders/messages", true),
            ("me/*/messages", "/me/mailFolders/x/messages", false),
            ("/me/**/delta", "/me/mailFolders/x/messages/delta", true),
            ("/me/**", "/me", true),
            ("MAILFOLDERS/In*", "/me/mailFolders/inbox", true),
            ("mailFolders/*box", "/me/mailFolders/inbox", true),
            ("mailFolders/*box", "/me/mailFolders/inboxes", false),
        ]
        for (pattern, path, expected) in cases {
            #expect(FaultRule(path: pattern, action: .reset).matches(method: "GET", path: path, template: path) == expected,
                    "\(pattern) ~ \(path)")
        }
    }
}

@Suite("Control surface access")
struct ControlAccessTests {
    @Test("Only loopback peers are answered", arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("::1", true), ("::ffff:127.0.0.1", true), ("10.0.0.5", false),
        ("192.168.1.20", false), ("::ffff:10.0.0.5", false), ("fe80::1", false),
    ])
    func loopback(address: String, expected: Bool) {
        #expect(EmulatorRequestContext.isLoopback(address) == expected)
    }

    @Test("An unknown peer is not loopback")
    func unknownPeer() {
        #expect(!EmulatorRequestContext.isLoopback(nil))
    }
}
