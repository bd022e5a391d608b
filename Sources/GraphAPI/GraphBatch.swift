import Foundation
import MailCore
import NIOHTTP1

/// One request of a JSON batch (GRAPH.md §9), which can also be sent on its own
/// (`GraphClient.send(_:)`). Build them with `GraphClient.updateRequest`, `moveRequest`,
/// `sendRequest` and `messageRequest`, which know the mailbox path.
public struct GraphBatchRequest: Sendable {
    /// Unique within a batch (compared without case, as Graph does); the answer carries it.
    public var id: String
    public var method: HTTPMethod
    /// Below the version, percent-encoded, with its query: `me/messages/AAk…/move`.
    public var url: String
    /// JSON, or empty for a POST without a body (sent as `Content-Length: 0`).
    public var body: Data?
    /// `Prefer` values besides `IdType="ImmutableId"`, which every item carries unless the
    /// client is configured without it.
    public var preferences: [String]
    /// Ids of requests of the same batch that must succeed first (Graph answers 424 otherwise).
    public var dependsOn: [String]
    /// Whether repeating it is harmless even if the first attempt took effect (a GET, a
    /// state-based PATCH, a move to a fixed folder; never a send). Only such a request is
    /// repeated after a gateway timeout or a lost answer.
    public var idempotent: Bool

    public init(id: String = UUID().uuidString.lowercased(), method: HTTPMethod, url: String, body: Data? = nil,
                preferences: [String] = [], dependsOn: [String] = [], idempotent: Bool? = nil) {
        self.id = id
        self.method = method
        self.url = url
        self.body = body
        self.preferences = preferences
        self.dependsOn = dependsOn
        self.idempotent = idempotent ?? (method == .GET)
    }
}

/// The answer to one request of a batch (or to a request sent on its own).
public struct GraphBatchResponse: Sendable {
    public var id: String
    public var status: Int
    public var headers: HTTPHeaders
    /// The body as JSON bytes; empty for `"body": null` (a 204). A body Graph sent base64-encoded
    /// (not JSON: a `$value`, MIME) is decoded to its bytes.
    public var body: Data
    /// The typed error of a failed request (its `Retry-After` included), nil for a success.
    public let error: GraphError?

    public var isSuccess: Bool { error == nil }

    public init(id: String, status: Int, headers: HTTPHeaders, body: Data) {
        self.id = id
        self.status = status
        self.headers = headers
        self.body = body
        error = (200..<300).contains(status) ? nil : GraphClient.error(status: status, headers: headers, body: body)
    }

    /// A request sent on its own that failed with this error.
    init(id: String, failure: GraphError) {
        self.id = id
        status = failure.status ?? 0
        headers = [:]
        body = Data()
        error = failure
    }

    /// The body as a Graph resource; a body that is not what was asked for is an invalid response.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw GraphError.invalidResponse(status: status, reason: "malformed JSON in a batch answer (\(body.count) bytes)")
        }
    }
}

extension GraphClient {
    /// Graph runs at most 20 requests in a batch (GRAPH.md §9).
    public static let maximumBatchSize = 20

    // MARK: Requests, for a batch or on their own

    /// `PATCH /messages/{id}` with the changed properties: state-based, so repeatable.
    public func updateRequest(message id: String, _ changes: [String: any Sendable],
                              requestID: String = UUID().uuidString.lowercased()) throws -> GraphBatchRequest {
        GraphBatchRequest(id: requestID, method: .PATCH, url: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(id))",
                          body: try JSONSerialization.data(withJSONObject: changes, options: [.sortedKeys]), idempotent: true)
    }

    /// `POST /messages/{id}/move`. Repeatable: with immutable ids a second move to the same
    /// folder finds the message there and leaves it there.
    public func moveRequest(message id: String, to destination: String,
                            requestID: String = UUID().uuidString.lowercased()) throws -> GraphBatchRequest {
        GraphBatchRequest(id: requestID, method: .POST, url: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(id))/move",
                          body: try JSONSerialization.data(withJSONObject: ["destinationId": destination], options: [.sortedKeys]),
                          idempotent: true)
    }

    /// `POST /messages/{id}/send` with `Content-Length: 0` (GRAPH.md §5); never repeated blindly.
    public func sendRequest(draft id: String, requestID: String = UUID().uuidString.lowercased()) -> GraphBatchRequest {
        GraphBatchRequest(id: requestID, method: .POST, url: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(id))/send",
                          body: Data(), idempotent: false)
    }

    /// `GET /messages/{id}?$select=…`.
    public func messageRequest(id: String, select: [String], requestID: String = UUID().uuidString.lowercased()) -> GraphBatchRequest {
        GraphBatchRequest(id: requestID, method: .GET,
                          url: Self.relativeURL(path: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(id))",
                                                query: [("$select", select.joined(separator: ","))]))
    }

    // MARK: Sending

    /// Sends requests the cheapest way: one on its own, several through `$batch`, 20 per batch,
    /// one batch after another. Answers come in request order; a request the server refused is
    /// an answer with its `error`, not a throw. Throws when no answer came at all (offline, a
    /// broken batch answer). Requests that depend on one another must be among the same 20.
    public func execute(_ requests: [GraphBatchRequest]) async throws -> [GraphBatchResponse] {
        if requests.count == 1, let request = requests.first, request.dependsOn.isEmpty {
            do {
                let response = try await send(request)
                return [GraphBatchResponse(id: request.id, status: response.status, headers: response.headers, body: response.body)]
            } catch let error as GraphError where error.status != nil {
                return [GraphBatchResponse(id: request.id, failure: error)]
            }
        }
        var answers: [GraphBatchResponse] = []
        for chunk in requests.chunked(Self.maximumBatchSize) {
            answers += try await batch(Array(chunk))
        }
        return answers
    }

    /// One `POST /$batch` of 1 to 20 requests with distinct ids; answers in request order.
    ///
    /// Each inner request carries what it would carry alone: `Prefer: IdType="ImmutableId"`
    /// unless the configuration turns it off (Graph applies the header only to "the request it
    /// is included with", GRAPH.md §4, so the outer request's does not reach the items), its own
    /// `client-request-id`, and
    /// `Content-Type` with a body. An item answered 429 or 503 (or 504, when repeating it is
    /// harmless) is sent again in a smaller batch per the retry policy, with the items that
    /// failed only because they depended on it; a 429's `Retry-After` holds back the whole
    /// mailbox, as a top-level 429 does. What still fails after the last attempt is returned.
    public func batch(_ requests: [GraphBatchRequest]) async throws -> [GraphBatchResponse] {
        guard !requests.isEmpty else { return [] }
        precondition(requests.count <= Self.maximumBatchSize, "a Graph batch holds at most \(Self.maximumBatchSize) requests")
        precondition(Set(requests.map { $0.id.lowercased() }).count == requests.count, "batch request ids must be unique")
        var answers: [String: GraphBatchResponse] = [:]
        var outstanding = requests
        var attempt = 1
        while true {
            for answer in try await sendBatch(outstanding) { answers[answer.id.lowercased()] = answer }
            guard let (again, delay, throttled) = retryPlan(outstanding, answers: answers, attempt: attempt) else { break }
            logger.notice("graph $batch: \(again.count) of \(outstanding.count) requests to try again in \(delay) s")
            try await waitBeforeRetry(delay, throttled: throttled, attempt: attempt)
            outstanding = again
            attempt += 1
        }
        for answer in answers.values { if let error = answer.error { await holdBackIfThrottled(error) } }
        return requests.map { answers[$0.id.lowercased()]! }
    }

    /// Which items to send again, after how long, and whether the server throttled: items
    /// answered 429 or 503 (504 when harmless to repeat), and those answered 424 because an
    /// item they depend on is among them. Nil when there is nothing to retry or an item has
    /// used its last attempt.
    private func retryPlan(_ sent: [GraphBatchRequest], answers: [String: GraphBatchResponse],
                           attempt: Int) -> (requests: [GraphBatchRequest], delay: TimeInterval, throttled: Bool)? {
        var again: Set<String> = []
        var delay: TimeInterval = 0
        var throttled = false
        for request in sent {
            guard let error = answers[request.id.lowercased()]?.error, let status = error.status,
                  status == 429 || status == 503 || status == 504 else { continue }
            guard let wait = retry.delay(after: error, attempt: attempt, idempotent: request.idempotent) else {
                if status == 504 && !request.idempotent { continue }   // outcome unknown: the caller decides
                return nil
            }
            again.insert(request.id.lowercased())
            delay = max(delay, wait)
            throttled = throttled || status == 429
        }
        guard !again.isEmpty else { return nil }
        // Dependants that failed only because of a retried item go again with it.
        var grew = true
        while grew {
            grew = false
            for request in sent where !again.contains(request.id.lowercased())
                && answers[request.id.lowercased()]?.status == 424
                && request.dependsOn.contains(where: { again.contains($0.lowercased()) }) {
                again.insert(request.id.lowercased())
                grew = true
            }
        }
        let retried = sent.filter { again.contains($0.id.lowercased()) }.map { request in
            var request = request
            request.dependsOn = request.dependsOn.filter { again.contains($0.lowercased()) }
            return request
        }
        return (retried, delay, throttled)
    }

    /// One `$batch` exchange, retried as a whole per the policy (a dropped connection or a
    /// broken answer only when every item is harmless to repeat).
    private func sendBatch(_ requests: [GraphBatchRequest]) async throws -> [GraphBatchResponse] {
        let clientRequestIDs = requests.map { _ in UUID().uuidString.lowercased() }
        let body = try Self.encodeBatch(requests, clientRequestIDs: clientRequestIDs, immutableIDs: configuration.immutableIDs)
        let url = URL(string: configuration.baseURL.absoluteString + "/$batch")!
        // Outlook runs up to four independent items of a batch at once: that many mailbox slots.
        let independent = requests.filter(\.dependsOn.isEmpty).count
        let answers = try await perform(method: .POST, url: url, preferences: [], body: body,
                                        idempotent: requests.allSatisfy(\.idempotent), slots: min(4, max(1, independent))) {
            try Self.decodeBatch($0, expecting: requests)
        }
        for (answer, (request, clientRequestID)) in zip(answers, zip(requests, clientRequestIDs)) {
            logger.debug("graph $batch \(request.method.rawValue) item \(request.id) → \(answer.status)",
                         metadata: ["client-request-id": "\(clientRequestID)",
                                    "request-id": "\(answer.headers.first(name: "request-id") ?? "-")"])
        }
        return answers
    }

    // MARK: Encoding

    /// `{"requests":[{"id","method","url","headers","body"?,"dependsOn"?}]}` with relative URLs.
    /// `immutableIDs`: as `GraphConfiguration.immutableIDs`, for each item.
    static func encodeBatch(_ requests: [GraphBatchRequest], clientRequestIDs: [String], immutableIDs: Bool = true) throws -> Data {
        var items: [[String: Any]] = []
        for (request, clientRequestID) in zip(requests, clientRequestIDs) {
            var headers = ["client-request-id": clientRequestID]
            let preferences = (immutableIDs ? [immutableIDPreference] : []) + request.preferences
            if !preferences.isEmpty { headers["Prefer"] = preferences.joined(separator: ", ") }
            var item: [String: Any] = ["id": request.id, "method": request.method.rawValue, "url": "/" + request.url]
            if let body = request.body, !body.isEmpty {
                headers["Content-Type"] = "application/json"
                item["body"] = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
            }
            item["headers"] = headers
            if !request.dependsOn.isEmpty { item["dependsOn"] = request.dependsOn }
            items.append(item)
        }
        return try JSONSerialization.data(withJSONObject: ["requests": items], options: [.sortedKeys])
    }

    /// The answers of `requests`, in their order. An answer that is not a batch answer, or lacks
    /// one of the requests, is a broken response.
    static func decodeBatch(_ response: GraphResponse, expecting requests: [GraphBatchRequest]) throws -> [GraphBatchResponse] {
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        guard contentType.isEmpty || contentType.contains("json"),
              let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let items = object["responses"] as? [Any] else {
            throw GraphError.invalidResponse(status: response.status, reason: "not a batch answer (\(response.body.count) bytes)")
        }
        var byID: [String: GraphBatchResponse] = [:]
        for case let item as [String: Any] in items {
            guard let id = Self.text(item["id"]), let status = Self.text(item["status"]).flatMap({ Int($0) }) else { continue }
            var headers = HTTPHeaders()
            for case let (name, value?) in (item["headers"] as? [String: Any] ?? [:]).mapValues(Self.text) {
                headers.add(name: name, value: value)
            }
            byID[id.lowercased()] = GraphBatchResponse(id: id, status: status, headers: headers, body: try Self.bodyData(item["body"]))
        }
        return try requests.map { request in
            guard var answer = byID[request.id.lowercased()] else {
                throw GraphError.invalidResponse(status: response.status, reason: "the batch answer lacks request \(request.id)")
            }
            answer.id = request.id
            return answer
        }
    }

    /// A string or a number as text (Graph's samples write header values and ids either way).
    private static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    private static func bodyData(_ value: Any?) throws -> Data {
        switch value {
        case nil, is NSNull:
            return Data()
        case let string as String:
            // Non-JSON bodies are base64 (URL-safe or standard) in a batch answer.
            var standard = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while standard.count % 4 != 0 { standard += "=" }
            return Data(base64Encoded: standard) ?? Data(string.utf8)
        case let json?:
            return try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
        }
    }
}
