import AsyncHTTPClient
import Foundation
import GraphEmulator
import NIOCore
import Testing

/// Requests for the sign-in, throttling, fault and control-surface tests.
extension Emulator {
    /// Any request with a raw body; no Authorization header unless `token` is given.
    func exchange(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, token: String? = nil,
        headers: [String: String] = [:]
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : baseURL.absoluteString + path)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 256 << 20)
        return TestResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Data(buffer.readableBytesView))
    }

    /// A control-surface request (`path` after `/_emulator`), with a JSON body when given.
    func control(_ method: String, _ path: String, json: Any? = nil) async throws -> TestResponse {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await exchange(method, "/_emulator" + path, body: body, contentType: json == nil ? nil : "application/json")
    }

    /// A control-surface request that must succeed; its JSON object.
    @discardableResult
    func controlJSON(_ method: String, _ path: String, json: Any? = nil) async throws -> [String: Any] {
        let response = try await control(method, path, json: json)
        try #require((200..<300).contains(response.status), "\(method) /_emulator\(path) answered \(response.status): \(response.text)")
        return try response.json()
    }

    /// A form POST, as sign-in clients send.
    func postForm(_ path: String, _ fields: [(String, String)], headers: [String: String] = [:]) async throws -> TestResponse {
        let body = fields.map { "\(formEncoded($0.0))=\(formEncoded($0.1))" }.joined(separator: "&")
        return try await exchange(
            "POST", path, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded", headers: headers)
    }

    /// Polls `condition` until it holds; fails after `timeout`.
    func waitUntil(
        _ description: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            try #require(ContinuousClock.now < deadline, "timed out waiting until \(description)")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The throttle's count of requests in flight.
    func inFlight() async throws -> Int {
        try #require(try await controlJSON("GET", "/throttle")["inFlight"] as? Int)
    }

    /// `GET /_emulator/stats` as `[template: [status: count]]`.
    func stats() async throws -> [String: [String: Int]] {
        let json = try await controlJSON("GET", "/stats")
        return json.compactMapValues { $0 as? [String: Int] }
    }
}

extension TestResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
func formEncoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._*")
    return text.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: "%20", with: "+")
}

/// Starts an emulator whose mailbox can be reset (built by `GraphEmulatorServer(makeMailbox:)`),
/// with `configure` applied to its configuration.
func withControlledEmulator<T>(
    messages: Int = 60, seed: UInt64 = 7, configure: (inout GraphEmulatorConfiguration) -> Void = { _ in },
    _ body: (Emulator) async throws -> T
) async throws -> T {
    var configuration = GraphEmulatorConfiguration()
    configure(&configuration)
    let server = try GraphEmulatorServer(accessTokens: [Emulator.token], configuration: configuration) {
        Mailbox(messageCount: messages, seed: seed)
    }
    let url = try await server.start()
    let emulator = Emulator(server: server, mailbox: server.mailbox, baseURL: url)
    do {
        let result = try await body(emulator)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
