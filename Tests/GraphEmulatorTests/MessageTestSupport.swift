import AsyncHTTPClient
import Foundation
import GraphEmulator
import NIOCore
import Testing

/// Requests with bodies for the message, batch and translateExchangeIds tests.
extension Emulator {
    /// Sends `json` (serialized) with `Content-Type: application/json`, or no body when nil.
    /// `chunked` sends the body without a Content-Length header.
    func sendJSON(
        _ method: String, _ path: String, _ json: Any? = nil, headers: [String: String] = [:], chunked: Bool = false
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : baseURL.absoluteString + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(Emulator.token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        var bytes: [UInt8] = []
        if let json {
            bytes = Array(try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed]))
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        if chunked {
            let buffer = ByteBuffer(bytes: bytes)
            request.body = .stream(AsyncStreamOfOne(buffer: buffer), length: .unknown)
        } else if json != nil || method != "GET" {
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 256 << 20)
        return TestResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Data(buffer.readableBytesView))
    }

    /// Sends `body` as it is, with the given Content-Type.
    func sendRaw(_ method: String, _ path: String, body: String, contentType: String) async throws -> TestResponse {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(Emulator.token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return TestResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Data(buffer.readableBytesView))
    }

    /// GET of one message; nil when the emulator answers 404.
    func message(_ id: String, headers: [String: String] = [:]) async throws -> [String: Any]? {
        let response = try await get("/v1.0/me/messages/\(encoded(id))", headers: headers)
        if response.status == 404 { return nil }
        try #require(response.status == 200, "GET message answered \(response.status)")
        return try response.json()
    }

    /// Every message of a folder (all pages) with the given `$select`.
    func folderMessages(_ folder: String, select: String = "subject", headers: [String: String] = [:]) async throws -> [[String: Any]] {
        try await pages("/v1.0/me/mailFolders/\(folder)/messages?$top=1000&$select=\(select)", headers: headers)
            .flatMap { try $0.items() }
    }

    /// A delta round of `folder` from its initial request to its deltaLink.
    func deltaLink(_ folder: String, headers: [String: String] = [:]) async throws -> String {
        try await DeltaTests.round(self, "/v1.0/me/mailFolders/\(folder)/messages/delta?$select=subject", headers: headers).deltaLink
    }
}

/// A one-element async sequence, to send a body chunked (without Content-Length).
struct AsyncStreamOfOne: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// A recipient object as Graph's JSON writes it.
func recipientJSON(_ address: String, name: String? = nil) -> [String: Any] {
    ["emailAddress": ["address": address, "name": name ?? address]]
}

/// `emailAddress.address` of each recipient in a message's recipient list.
func addresses(_ value: Any?) -> [String] {
    ((value as? [[String: Any]]) ?? []).compactMap { ($0["emailAddress"] as? [String: Any])?["address"] as? String }
}
