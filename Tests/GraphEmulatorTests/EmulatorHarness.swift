import AsyncHTTPClient
import Foundation
import GraphEmulator
import Testing

/// A response read fully into memory, with JSON helpers.
struct TestResponse: Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: body)
        return try #require(object as? [String: Any], "response body is not a JSON object")
    }

    /// The items of a collection response.
    func items() throws -> [[String: Any]] {
        try #require(try json()["value"] as? [[String: Any]], "no value array")
    }

    /// `error.code` of a Graph error envelope.
    func errorCode() throws -> String? {
        (try json()["error"] as? [String: Any])?["code"] as? String
    }
}

/// A running emulator plus a client for it.
struct Emulator: Sendable {
    static let token = "test-access-token"

    let server: GraphEmulatorServer
    let mailbox: Mailbox
    let baseURL: URL

    /// GET a path (e.g. `/v1.0/me`) or an absolute URL taken from a link.
    func get(_ pathOrURL: String, token: String? = Emulator.token, headers: [String: String] = [:]) async throws -> TestResponse {
        try await send("GET", pathOrURL, token: token, headers: headers)
    }

    func send(_ method: String, _ pathOrURL: String, token: String? = Emulator.token, headers: [String: String] = [:]) async throws -> TestResponse {
        let url = pathOrURL.hasPrefix("http") ? pathOrURL : baseURL.absoluteString + pathOrURL
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 256 << 20)
        return TestResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Data(buffer.readableBytesView))
    }

    /// Follows `@odata.nextLink` from `path` and returns every page.
    func pages(_ path: String, headers: [String: String] = [:], limit: Int = 10_000) async throws -> [TestResponse] {
        var responses: [TestResponse] = []
        var next: String? = path
        while let link = next {
            let response = try await get(link, headers: headers)
            try #require(response.status == 200, "GET \(link) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
            responses.append(response)
            next = try response.json()["@odata.nextLink"] as? String
            try #require(responses.count <= limit, "too many pages")
        }
        return responses
    }
}

/// Starts an emulator over `mailbox` on an OS-chosen loopback port, runs `body`, stops it.
func withEmulator<T>(
    mailbox: Mailbox, configuration: GraphEmulatorConfiguration = .init(),
    _ body: (Emulator) async throws -> T
) async throws -> T {
    let server = GraphEmulatorServer(mailbox: mailbox, accessTokens: [Emulator.token], configuration: configuration)
    let url = try await server.start()
    let emulator = Emulator(server: server, mailbox: mailbox, baseURL: url)
    do {
        let result = try await body(emulator)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func withEmulator<T>(messages: Int = 300, seed: UInt64 = 42, _ body: (Emulator) async throws -> T) async throws -> T {
    try await withEmulator(mailbox: Mailbox(messageCount: messages, seed: seed), body)
}

/// Percent-encodes a path segment or query value (ids contain `=`, `-`, `_`; filters spaces and quotes).
func encoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed)!
}
