import AsyncHTTPClient
import Foundation
import Logging
import MailCore
import NIOCore
import NIOHTTP1

/// Supplies a bearer token for each request (a refresh, a token command, a fixed demo token).
public typealias AccessTokenProvider = @Sendable () async throws -> String

/// Where Graph lives and whose mailbox to use.
public struct GraphConfiguration: Sendable {
    /// e.g. `https://graph.microsoft.com/v1.0`, or `http://127.0.0.1:PORT/v1.0` for the emulator.
    public var baseURL: URL
    /// `me`, or `users/{id-or-upn}` for a shared or delegated mailbox.
    public var mailboxPath: String
    public var requestTimeout: TimeAmount
    /// Sends `Prefer: IdType="ImmutableId"` (the default). Off only for a server without
    /// immutable ids, and for tests that need a cache of regular ids to migrate.
    public var immutableIDs: Bool

    public init(baseURL: URL, mailboxPath: String = "me", requestTimeout: TimeAmount = .seconds(60),
                immutableIDs: Bool = true) throws {
        guard let scheme = baseURL.scheme?.lowercased(), let host = baseURL.host else {
            throw GraphError.untrustedLink(baseURL.absoluteString)
        }
        // Plain HTTP only to a loopback emulator (QUALITY.md Security 6).
        guard scheme == "https" || (scheme == "http" && Self.isLoopback(host)) else {
            throw GraphError.untrustedLink(baseURL.absoluteString)
        }
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.baseURL = URL(string: text)!
        self.mailboxPath = mailboxPath
        self.requestTimeout = requestTimeout
        self.immutableIDs = immutableIDs
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// A link is followed only when it goes to the same scheme, host and port as the base URL.
    func isTrusted(_ link: URL) -> Bool {
        link.scheme?.lowercased() == baseURL.scheme?.lowercased()
            && link.host?.lowercased() == baseURL.host?.lowercased()
            && (link.port ?? defaultPort(link)) == (baseURL.port ?? defaultPort(baseURL))
    }

    private func defaultPort(_ url: URL) -> Int { url.scheme?.lowercased() == "https" ? 443 : 80 }
}

/// The raw answer to one request, before decoding.
public struct GraphResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
}

/// A thin, typed Microsoft Graph client. Every request carries `Prefer: IdType="ImmutableId"`
/// (QUALITY.md Reliability 1; `GraphConfiguration.immutableIDs` turns it off, as an older
/// client would be) and a fresh `client-request-id`, logged with the server's
/// `request-id` so a failure can be traced on both sides. Several changes at once go through
/// `$batch` (GraphBatch.swift).
public final class GraphClient: Sendable {
    public let configuration: GraphConfiguration
    private let tokens: any AccessTokenSource
    /// The connection pool, replaced after a 503 (see `HTTPClientRenewal`).
    let http: HTTPClientRenewal
    let logger: Logger
    private let maxResponseBytes = 64 * 1024 * 1024
    /// Every response counted, for `otter sync`'s progress and the benchmarks.
    public let traffic = TrafficCounter()
    let gate = RequestGate()
    let retry: RetryPolicy
    private let retryContinuation: AsyncStream<RetryEvent>.Continuation
    /// Each wait before a retry, for the status line ("throttled, retrying in 12 s").
    public let retries: AsyncStream<RetryEvent>

    /// `httpConfiguration` configures the HTTP clients the Graph client creates and owns: one at
    /// a time, a fresh one after a 503, each shut down when no request uses it any more.
    public init(configuration: GraphConfiguration, tokens: any AccessTokenSource,
                httpConfiguration: HTTPClient.Configuration = .singletonConfiguration,
                logger: Logger = Logger(label: "otter.graph"), retry: RetryPolicy = RetryPolicy()) {
        self.configuration = configuration
        self.tokens = tokens
        var httpConfiguration = httpConfiguration
        // A connection that fails comes back at once and `retry` decides (backoff, the status
        // line, giving up). AsyncHTTPClient's pool would retry it silently until the request's
        // timeout, so an app without a network took minutes to say "offline".
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let poolConfiguration = httpConfiguration
        self.http = HTTPClientRenewal { HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: poolConfiguration) }
        self.logger = logger
        self.retry = retry
        (retries, retryContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public convenience init(configuration: GraphConfiguration, tokenProvider: @escaping AccessTokenProvider,
                            httpConfiguration: HTTPClient.Configuration = .singletonConfiguration,
                            logger: Logger = Logger(label: "otter.graph"), retry: RetryPolicy = RetryPolicy()) {
        self.init(configuration: configuration, tokens: FixedAccessToken(tokenProvider), httpConfiguration: httpConfiguration,
                  logger: logger, retry: retry)
    }

    // MARK: Typed operations

    public func me() async throws -> GraphUser {
        try await get(path: configuration.mailboxPath)
    }

    public func mailFolder(_ idOrWellKnownName: String) async throws -> GraphMailFolder {
        try await get(path: "\(configuration.mailboxPath)/mailFolders/\(Self.pathSegment(idOrWellKnownName))")
    }

    /// One page of the folder-hierarchy delta. `link` is the previous nextLink/deltaLink, or nil to start a round.
    public func folderDelta(link: String?, maxPageSize: Int = 250) async throws -> GraphPage<GraphMailFolder> {
        try await get(link: link, path: "\(configuration.mailboxPath)/mailFolders/delta", query: [],
                      preferences: ["odata.maxpagesize=\(maxPageSize)"])
    }

    /// One page of a folder's message delta. The `$select` only matters on the first request of
    /// a round; Graph carries it inside the opaque tokens afterwards.
    public func messageDelta(folderID: String, link: String?, select: [String], maxPageSize: Int = 1000) async throws -> GraphPage<GraphMessage> {
        try await get(link: link, path: "\(configuration.mailboxPath)/mailFolders/\(Self.pathSegment(folderID))/messages/delta",
                      query: [("$select", select.joined(separator: ","))],
                      preferences: ["odata.maxpagesize=\(maxPageSize)"])
    }

    public enum BodyFormat: String, Sendable { case text, html }

    public func message(id: String, select: [String], bodyFormat: BodyFormat = .text) async throws -> GraphMessage {
        try await get(path: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(id))",
                      query: [("$select", select.joined(separator: ","))],
                      preferences: ["outlook.body-content-type=\"\(bodyFormat.rawValue)\""])
    }

    /// One page of a folder's messages (newest first), optionally filtered (`inferenceClassification eq 'other'`).
    public func listMessages(folderID: String, select: [String], filter: String? = nil, top: Int = 50,
                             link: String? = nil) async throws -> GraphPage<GraphMessage> {
        var query = [("$select", select.joined(separator: ",")), ("$top", String(top))]
        // Exchange refuses an $orderby whose properties are not filtered first (InefficientFilter);
        // without one the order is newest first anyway.
        if let filter { query.append(("$filter", filter)) } else { query.append(("$orderby", "receivedDateTime desc")) }
        return try await get(link: link, path: "\(configuration.mailboxPath)/mailFolders/\(Self.pathSegment(folderID))/messages",
                             query: query)
    }

    // MARK: Requests

    /// GET a path below the base URL, or an absolute link handed out by the server.
    public func get<T: Decodable & Sendable>(link: String? = nil, path: String, query: [(String, String)] = [],
                                            preferences: [String] = []) async throws -> T {
        let url: URL
        if let link {
            guard let linkURL = URL(string: link), configuration.isTrusted(linkURL) else {
                throw GraphError.untrustedLink(link)
            }
            url = linkURL
        } else {
            url = makeURL(path: path, query: query)
        }
        // Decoding is inside the retry: a truncated page or an HTML error page with status 200
        // is a broken response, and a GET may safely be asked again.
        return try await perform(method: .GET, url: url, preferences: preferences, body: nil, idempotent: true) {
            try self.decode(T.self, from: $0)
        }
    }

    public func get<T: Decodable & Sendable>(path: String, query: [(String, String)] = [], preferences: [String] = []) async throws -> T {
        try await get(link: nil, path: path, query: query, preferences: preferences)
    }

    func makeURL(path: String, query: [(String, String)]) -> URL {
        URL(string: configuration.baseURL.absoluteString + "/" + Self.relativeURL(path: path, query: query))!
    }

    /// `path?query` with the query percent-encoded: below the base URL, or inside a batch.
    static func relativeURL(path: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\($0.0)=\(queryValue($0.1))" }.joined(separator: "&")
    }

    /// Sends one request and returns the response if it is a success; Graph errors are thrown.
    /// Throttling (429), unavailability (503; 504 when repeating is harmless) and, for GETs,
    /// dropped connections are retried
    /// per `RetryPolicy`, with a 429's `Retry-After` holding back every request to the mailbox.
    /// A 401 gets one more try with a fresh token (an expired access token is routine).
    public func send(method: HTTPMethod, url: URL, preferences: [String] = [], body: Data? = nil) async throws -> GraphResponse {
        try await perform(method: method, url: url, preferences: preferences, body: body, idempotent: method == .GET) { $0 }
    }

    /// Sends one request built like a batch item (`updateRequest`, `moveRequest`…) on its own.
    public func send(_ request: GraphBatchRequest) async throws -> GraphResponse {
        try await perform(method: request.method, url: URL(string: configuration.baseURL.absoluteString + "/" + request.url)!,
                          preferences: request.preferences, body: request.body, idempotent: request.idempotent) { $0 }
    }

    /// The retry loop around one request. `slots`: how many of the mailbox's concurrent
    /// requests it amounts to (a `$batch` runs several at once on the server).
    func perform<T>(method: HTTPMethod, url: URL, preferences: [String], body: Data?, idempotent: Bool, slots: Int = 1,
                    _ transform: (GraphResponse) throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try transform(try await sendAuthorized(method: method, url: url, preferences: preferences, body: body,
                                                              slots: slots))
            } catch let error as GraphError {
                guard let delay = retry.delay(after: error, attempt: attempt, idempotent: idempotent) else {
                    await holdBackIfThrottled(error)
                    throw error
                }
                logger.notice("graph \(method.rawValue) \(url.path): \(error.code ?? "error"), retrying in \(delay) s")
                try await waitBeforeRetry(delay, throttled: error.status == 429, attempt: attempt)
                attempt += 1
            }
        }
    }

    /// Waits `delay` seconds before trying again, and says so on `retries`. A throttled wait
    /// holds back every request to the mailbox, not only the one told to wait.
    func waitBeforeRetry(_ delay: TimeInterval, throttled: Bool, attempt: Int) async throws {
        if throttled { await gate.pause(for: delay) }
        retryContinuation.yield(RetryEvent(throttled: throttled, delay: delay, attempt: attempt))
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
    }

    /// A `Retry-After` binds the whole mailbox even when the request that got it is not tried
    /// again here (its caller retries later): nothing is sent to the mailbox before then.
    func holdBackIfThrottled(_ error: GraphError) async {
        if case .service(429, _, _, _, let retryAfter?) = error { await gate.pause(for: retry.honoured(retryAfter)) }
    }

    private func sendAuthorized(method: HTTPMethod, url: URL, preferences: [String], body: Data?,
                                slots: Int) async throws -> GraphResponse {
        let token = try await currentToken()
        do {
            return try await sendThroughGate(method: method, url: url, token: token, preferences: preferences, body: body,
                                             slots: slots)
        } catch let error as GraphError where error.status == 401 {
            await tokens.invalidate(token)
            let fresh = try await currentToken()
            guard fresh != token else { throw error }
            return try await sendThroughGate(method: method, url: url, token: fresh, preferences: preferences, body: body,
                                             slots: slots)
        }
    }

    private func sendThroughGate(method: HTTPMethod, url: URL, token: String, preferences: [String], body: Data?,
                                 slots: Int) async throws -> GraphResponse {
        await gate.enter(slots: slots)
        do {
            let response = try await send(method: method, url: url, token: token, preferences: preferences, body: body)
            await gate.leave(slots: slots)
            return response
        } catch {
            await gate.leave(slots: slots)
            throw error
        }
    }

    /// Requests to this mailbox being sent right now (never more than four).
    public var requestsInFlight: Int {
        get async { await gate.currentlyInFlight }
    }

    /// How many times the connection pool was replaced after a 503.
    public var connectionRenewals: Int { http.generation }

    private func currentToken() async throws -> String {
        do { return try await tokens.token() } catch {
            throw GraphError.authentication(String(describing: error))
        }
    }

    private func send(method: HTTPMethod, url: URL, token: String, preferences: [String], body: Data?) async throws -> GraphResponse {
        let clientRequestID = UUID().uuidString.lowercased()
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if configuration.immutableIDs { request.headers.add(name: "Prefer", value: Self.immutableIDPreference) }
        for preference in preferences { request.headers.add(name: "Prefer", value: preference) }
        request.headers.add(name: "client-request-id", value: clientRequestID)
        if let body {
            // An empty body still goes out, as `Content-Length: 0`, which `send` requires (§5).
            if !body.isEmpty { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let started = ContinuousClock.now
        let lease = http.lease()
        defer { http.release(lease) }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await lease.client.execute(request, timeout: configuration.requestTimeout)
            bytes = try await response.body.collect(upTo: maxResponseBytes)
        } catch let error as GraphError {
            throw error
        } catch {
            logger.warning("graph \(method.rawValue) \(url.path) failed: \(error)", metadata: ["client-request-id": "\(clientRequestID)"])
            throw GraphError.transport(String(describing: error))
        }
        let status = Int(response.status.code)
        traffic.record(bytes: bytes.readableBytes)
        CrashPoint.hit()
        let requestID = response.headers.first(name: "request-id")
        // Never log the query (it can hold search terms) or any header value but the ids.
        logger.debug("graph \(method.rawValue) \(url.path) → \(status) in \(ContinuousClock.now - started)",
                     metadata: ["client-request-id": "\(clientRequestID)", "request-id": "\(requestID ?? "-")"])
        if status == 503 {
            // The front end that answered may be unhealthy: the retry goes over a new connection.
            http.renew(after: lease)
            logger.notice("graph answered 503; the next requests use new connections")
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(status) else {
            throw Self.error(status: status, headers: response.headers, body: data)
        }
        return GraphResponse(status: status, headers: response.headers, body: data)
    }

    static let immutableIDPreference = "IdType=\"ImmutableId\""

    /// Builds the typed error for a failed response (public for tests and tools that read recordings).
    public static func error(status: Int, headers: HTTPHeaders, body: Data) -> GraphError {
        let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
        let requestID = headers.first(name: "request-id")
        if let envelope = try? JSONDecoder().decode(GraphErrorEnvelope.self, from: body) {
            return .service(status: status, code: envelope.error.code ?? "HTTP\(status)",
                            message: envelope.error.message ?? "", requestID: envelope.error.innerError?.requestID ?? requestID,
                            retryAfter: retryAfter)
        }
        return .service(status: status, code: "HTTP\(status)", message: HTTPResponseStatus(statusCode: status).reasonPhrase,
                        requestID: requestID, retryAfter: retryAfter)
    }

    func decode<T: Decodable>(_ type: T.Type, from response: GraphResponse) throws -> T {
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        guard contentType.isEmpty || contentType.contains("json") else {
            throw GraphError.invalidResponse(status: response.status, reason: "content type \(contentType)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw GraphError.invalidResponse(status: response.status, reason: "malformed JSON (\(response.body.count) bytes)")
        }
    }

    // MARK: Encoding

    /// IDs are base64-ish and may hold `/`, `+` and `=`; they must be percent-encoded in a path.
    static func pathSegment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? s
    }

    static func queryValue(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? s
    }

    private static let segmentAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    private static let queryAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~,'$()/:")
        return set
    }()
}

/// A request about to be tried again after `delay` seconds.
public struct RetryEvent: Sendable, Hashable {
    /// A 429 (the server asked us to slow down), as opposed to an outage or a dropped connection.
    public var throttled: Bool
    public var delay: TimeInterval
    public var attempt: Int
}

/// `Retry-After` is either delta-seconds (possibly fractional, as Graph sends `2.128`) or an HTTP date.
public enum RetryAfter {
    /// The longest wait a server can impose: a header is untrusted input, and "1e30" or a date
    /// in the next century must neither trap a conversion nor freeze the mailbox for good.
    public static let longest: TimeInterval = 3_600

    public static func parse(_ value: String, now: Date = Date()) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            // "inf" and "nan" parse as numbers too.
            return seconds.isFinite && seconds >= 0 ? min(seconds, longest) : nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return min(max(0, date.timeIntervalSince(now)), longest)
    }
}
