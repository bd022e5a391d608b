import Foundation
import GraphEmulator
import NIOHTTP1
import Testing
@testable import GraphAPI

/// `$batch` in the Graph client: what each item carries, how answers are read, and which items
/// are tried again. The server side is the emulator, which runs every item through the same
/// routes, throttle and fault schedule as a request of its own (docs/EMULATOR.md).
@Suite struct GraphBatchTests {
    static let token = "batch-token"

    struct Fixture {
        let server: GraphEmulatorServer
        let mailbox: Mailbox
        let graph: GraphClient

        static func start(messages: Int = 120, faults: String? = nil,
                          retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.2)) async throws -> Fixture {
            let mailbox = Mailbox(messageCount: messages, seed: 21)
            let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [GraphBatchTests.token])
            let base = try await server.start()
            if let faults { server.installFaults(try FaultSchedule(spec: faults)) }
            let graph = GraphClient(configuration: try GraphConfiguration(baseURL: base.appendingPathComponent("v1.0")),
                                    tokenProvider: { GraphBatchTests.token }, retry: retry)
            return Fixture(server: server, mailbox: mailbox, graph: graph)
        }

        func inbox(_ count: Int, where predicate: (EmulatedMessage) -> Bool = { _ in true }) async throws -> [EmulatedMessage] {
            let snapshot = await mailbox.snapshot()
            let inbox = try #require(snapshot.folder(wellKnownName: "inbox"))
            let found = Array(snapshot.messages(inFolder: inbox.id).filter(predicate).prefix(count))
            try #require(found.count == count)
            return found
        }
    }

    // MARK: The wire format

    @Test func eachItemCarriesWhatItWouldCarryAlone() throws {
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:1/v1.0")!),
                                tokenProvider: { "t" })
        let requests = [
            try graph.updateRequest(message: "AA/k+=", ["isRead": true], requestID: "1"),
            graph.sendRequest(draft: "draft", requestID: "2"),
            GraphBatchRequest(id: "3", method: .GET, url: "me/messages/x?$select=subject",
                              preferences: ["outlook.body-content-type=\"text\""], dependsOn: ["2"]),
        ]
        let data = try GraphClient.encodeBatch(requests, clientRequestIDs: ["c1", "c2", "c3"])
        let items = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["requests"] as? [[String: Any]])
        #expect(items.count == 3)
        let patch = items[0], send = items[1], get = items[2]
        #expect(patch["method"] as? String == "PATCH")
        // Relative to the version, with the id percent-encoded as in a request of its own.
        #expect(patch["url"] as? String == "/me/messages/AA%2Fk%2B%3D")
        #expect((patch["body"] as? [String: Any])?["isRead"] as? Bool == true)
        let patchHeaders = try #require(patch["headers"] as? [String: String])
        // Graph applies Prefer only to "the request it is included with" (GRAPH.md §4): every item needs its own.
        #expect(patchHeaders == ["Prefer": "IdType=\"ImmutableId\"", "client-request-id": "c1", "Content-Type": "application/json"])
        // A send has no body at all (so its length is 0) and therefore no Content-Type.
        #expect(send["url"] as? String == "/me/messages/draft/send" && send["body"] == nil)
        #expect((send["headers"] as? [String: String])?["Content-Type"] == nil)
        #expect((get["headers"] as? [String: String])?["Prefer"] == "IdType=\"ImmutableId\", outlook.body-content-type=\"text\"")
        #expect(get["dependsOn"] as? [String] == ["2"])
        #expect(patch["dependsOn"] == nil)
        // A client told not to ask for immutable ids leaves them out of every item too.
        let regular = try GraphClient.encodeBatch([requests[0], requests[1]], clientRequestIDs: ["c1", "c2"], immutableIDs: false)
        let regularItems = try #require((try JSONSerialization.jsonObject(with: regular) as? [String: Any])?["requests"] as? [[String: Any]])
        #expect((regularItems[0]["headers"] as? [String: String])?["Prefer"] == nil)
        #expect((regularItems[1]["headers"] as? [String: String]) == ["client-request-id": "c2"])
    }

    @Test func answersAreReadPerItemInRequestOrder() throws {
        let requests = ["a", "b", "c", "d"].map { GraphBatchRequest(id: $0, method: .GET, url: "me") }
        // Graph lists answers in completion order, may write numbers as strings, and sends a
        // 204's body as null and a non-JSON body in base64.
        let body = """
            {"responses":[
              {"id":"C","status":204,"headers":{},"body":null},
              {"id":"a","status":"200","headers":{"Content-Type":"application/json","request-id":"r-a"},"body":{"displayName":"Alex"}},
              {"id":"d","status":200,"headers":{"Content-Type":"text/plain"},"body":"aGVsbG8="},
              {"id":"b","status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},
               "body":{"error":{"code":"TooManyRequests","message":"Please retry again later."}}}
            ]}
            """
        let response = GraphResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data(body.utf8))
        let answers = try GraphClient.decodeBatch(response, expecting: requests)
        #expect(answers.map(\.id) == ["a", "b", "c", "d"])
        #expect(answers.map(\.status) == [200, 429, 204, 200])
        #expect(answers[0].headers.first(name: "request-id") == "r-a")
        #expect(try answers[0].decode(GraphUser.self).displayName == "Alex")
        #expect(answers[1].error?.code == "TooManyRequests")
        if case .service(_, _, _, _, let retryAfter)? = answers[1].error { #expect(retryAfter == 7) } else { Issue.record("no error") }
        #expect(answers[2].isSuccess && answers[2].body.isEmpty)
        #expect(String(decoding: answers[3].body, as: UTF8.self) == "hello")

        // An answer that leaves a request out, or is not a batch answer at all, is broken.
        let partial = GraphResponse(status: 200, headers: [:], body: Data(#"{"responses":[{"id":"a","status":200}]}"#.utf8))
        #expect(throws: GraphError.self) { try GraphClient.decodeBatch(partial, expecting: requests) }
        let html = GraphResponse(status: 200, headers: ["Content-Type": "text/html"], body: Data("<html></html>".utf8))
        #expect(throws: GraphError.self) { try GraphClient.decodeBatch(html, expecting: requests) }
    }

    // MARK: Against the emulator

    @Test func aBatchChangesMessagesAndAnswersPerItem() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.server.stop() } }
        let unread = try await f.inbox(3) { !$0.isRead }
        let gone = "AAMkADnotAnIdAtAllButLongEnoughAAA="
        var requests = try unread.enumerated().map { index, message in
            try f.graph.updateRequest(message: message.immutableID, ["isRead": true], requestID: "read-\(index)")
        }
        requests.append(try f.graph.moveRequest(message: unread[0].id, to: "archive", requestID: "move"))
        requests[3].dependsOn = ["read-0"]
        requests.append(try f.graph.updateRequest(message: gone, ["isRead": true], requestID: "missing"))
        let answers = try await f.graph.batch(requests)
        #expect(answers.map(\.status) == [200, 200, 200, 201, 404])
        #expect(answers[4].error?.isNotFound == true)
        for message in unread { #expect(try await f.mailbox.message(id: message.immutableID).isRead) }
        // The item's own Prefer header reached the server: the moved message answers with its immutable id.
        #expect(try answers[3].decode(GraphMessage.self).id == unread[0].immutableID)
        let stats = f.server.requestCounts()
        #expect(stats["POST /$batch"] == [200: 1])
        #expect(stats["$batch PATCH /me/messages/{id}"] == [200: 3, 404: 1])
        #expect(stats["PATCH /me/messages/{id}"] == nil)
    }

    @Test func throttledItemsAloneAreSentAgainAfterRetryAfterAndHoldBackTheMailbox() async throws {
        let f = try await Fixture.start(faults: "PATCH messages/*:429x2:retry-after=1")
        defer { Task { await f.server.stop() } }
        let messages = try await f.inbox(6) { !$0.isRead }
        let requests = try messages.map { try f.graph.updateRequest(message: $0.immutableID, ["isRead": true]) }
        // As soon as the client says it is throttled, another request to the mailbox is tried:
        // it must wait for the Retry-After too.
        let clock = ContinuousClock()
        let bystander = Task {
            var events = f.graph.retries.makeAsyncIterator()
            guard let event = await events.next() else { return (nil as RetryEvent?, Duration.zero) }
            let started = clock.now
            _ = try await f.graph.me()
            return (event, clock.now - started)
        }
        let answers = try await f.graph.batch(requests)
        #expect(answers.allSatisfy { $0.status == 200 })
        for message in messages { #expect(try await f.mailbox.message(id: message.id).isRead) }
        let (event, waited) = try await bystander.value
        #expect(event?.throttled == true && event?.delay == 1)
        #expect(waited >= .milliseconds(900))
        let stats = f.server.requestCounts()
        #expect(stats["$batch PATCH /me/messages/{id}"] == [429: 2, 200: 6])
        // The second batch held only the two throttled items.
        #expect(stats["POST /$batch"] == [200: 2])
    }

    @Test func aThrottledItemLeftToTheCallerStillHoldsBackTheMailbox() async throws {
        let f = try await Fixture.start(faults: "PATCH messages/*:429x1:retry-after=1", retry: .none)
        defer { Task { await f.server.stop() } }
        let messages = try await f.inbox(2)
        let answers = try await f.graph.batch(try messages.map { try f.graph.updateRequest(message: $0.immutableID, ["isRead": true]) })
        #expect(answers.map(\.status).sorted() == [200, 429])
        let clock = ContinuousClock()
        let started = clock.now
        _ = try await f.graph.me()
        #expect(clock.now - started >= .milliseconds(900))
    }

    @Test func unavailableItemsAreRetriedButASendWithAnUnknownOutcomeIsNot() async throws {
        let f = try await Fixture.start(faults: "PATCH messages/*:503x1;POST messages/*/send:504x1")
        defer { Task { await f.server.stop() } }
        let message = try #require(try await f.inbox(1).first)
        let draft = try await f.mailbox.deliver(NewMessage(subject: "draft", from: .init(name: "Alex", address: "alex.morgan@contoso.com"),
                                                           body: .init(contentType: .text, content: "hi")), to: "drafts")
        _ = try await f.mailbox.update(id: draft.id) { $0.isDraft = true }
        let answers = try await f.graph.batch([
            try f.graph.updateRequest(message: message.immutableID, ["flag": ["flagStatus": "flagged"]]),
            f.graph.sendRequest(draft: draft.immutableID),
        ])
        #expect(answers[0].status == 200)
        // A gateway timeout may hide a send that went through: it is the caller's to check, not to repeat.
        #expect(answers[1].status == 504)
        #expect(f.server.requestCounts()["$batch POST /me/messages/{id}/send"] == [504: 1])
        #expect(try await f.mailbox.message(id: message.id).flag.status == .flagged)
    }

    @Test func anItemThatDependedOnAThrottledOneGoesAgainWithIt() async throws {
        let f = try await Fixture.start(faults: "PATCH messages/*:429x1")
        defer { Task { await f.server.stop() } }
        let message = try #require(try await f.inbox(1) { !$0.isRead }.first)
        var requests = [
            try f.graph.updateRequest(message: message.immutableID, ["isRead": true], requestID: "read"),
            try f.graph.moveRequest(message: message.immutableID, to: "archive", requestID: "move"),
        ]
        requests[1].dependsOn = ["read"]
        let answers = try await f.graph.batch(requests)
        #expect(answers.map(\.status) == [200, 201])
        let archived = try await f.mailbox.message(id: message.immutableID)
        let archive = try #require(await f.mailbox.snapshot().folder(wellKnownName: "archive"))
        #expect(archived.isRead && archived.parentFolderID == archive.id)
    }

    @Test func oneRequestGoesAloneAndMoreGoTwentyPerBatch() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.server.stop() } }
        let messages = try await f.inbox(45)
        let one = try await f.graph.execute([f.graph.messageRequest(id: messages[0].immutableID, select: ["subject"])])
        #expect(try one[0].decode(GraphMessage.self).subject == messages[0].subject)
        #expect(f.server.requestCounts()["GET /me/messages/{id}"] == [200: 1])
        let many = try await f.graph.execute(messages.map { f.graph.messageRequest(id: $0.immutableID, select: ["subject"]) })
        #expect(try many.map { try $0.decode(GraphMessage.self).subject } == messages.map(\.subject))
        #expect(f.server.requestCounts()["POST /$batch"] == [200: 3])
        #expect(f.server.requestCounts()["$batch GET /me/messages/{id}"] == [200: 45])
    }
}
