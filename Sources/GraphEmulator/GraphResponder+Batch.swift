import Foundation
import MailCore
import Hummingbird

/// One request of a `$batch`, validated.
struct BatchItem: Sendable {
    var id: String
    var method: HTTPRequest.Method
    /// Relative to the version, e.g. `/me/messages?$top=5`.
    var url: String
    var headers: HTTPFields
    var body: ByteBuffer
    var dependsOn: [String]
}

/// One response of a `$batch`.
struct BatchItemResult: Sendable {
    var id: String
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    var contentType: String?
}

/// JSON batching (GRAPH.md §9): `POST /v1.0/$batch` or `/beta/$batch` with up to 20 requests.
///
/// Every item goes through the same routes as a top-level request (`graphResponse`), under the
/// outer request's authorization, via `batchItemResponse`, the one place an item is served.
/// Items without `dependsOn` run up to four at a time (Graph sends Outlook "up to four
/// individual requests from the batch at a time"); an item runs only after everything it
/// depends on, and answers 424 without running when one of those failed. Responses are
/// listed in the order they complete, which need not be the request order.
extension GraphResponder {
    static let maximumBatchRequests = 20
    static let batchConcurrency = 4

    func batch(_ request: Request, version: GraphRequest.Version) async throws -> Response {
        guard request.method == .post else { throw GraphError.methodNotAllowed(request.method) }
        let body = try await Self.collectBody(of: request)
        let items = try Self.batchItems(body, contentType: request.headers[.contentType])
        let linkBase = "http://\(request.head.authority ?? "localhost")"
        let results = await runBatch(items, version: version, linkBase: linkBase)

        var json = JSONWriter(capacity: 1024 + results.reduce(0) { $0 + $1.body.count + 256 })
        json.beginObject()
        json.key("responses")
        json.beginArray()
        for result in results { Self.write(result, to: &json) }
        json.endArray()
        json.endObject()
        var headers = HTTPFields()
        headers[.contentType] = Self.jsonContentType
        headers[Self.odataVersionName] = "4.0"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }

    /// Serves one batch item as Graph serves a request, errors included. Batch-wide concerns
    /// (per-item throttling, request statistics) belong here.
    func batchItemResponse(_ item: BatchItem, version: GraphRequest.Version, linkBase: String) async -> BatchItemResult {
        let requestID = UUID().uuidString.lowercased()
        let clientRequestID = item.headers[Self.clientRequestIDName] ?? requestID
        var response: Response
        do {
            // Outlook's limits and the fault schedule apply per item (GraphResponder+Emulator.swift):
            // a throttled item answers 429 inside the 200 batch.
            let admission = try await admit(method: item.method, path: item.url)
            do {
                response = try await batchItemRoute(item, version: version, linkBase: linkBase)
            } catch {
                response = errorResponse(for: error, requestID: requestID, clientRequestID: clientRequestID)
            }
            release(admission, status: response.status)
        } catch {
            response = errorResponse(for: error, requestID: requestID, clientRequestID: clientRequestID)
        }
        return await Self.result(of: response, id: item.id)
    }

    private func batchItemRoute(_ item: BatchItem, version: GraphRequest.Version, linkBase: String) async throws -> Response {
        let question = item.url.firstIndex(of: "?")
        var path = String(item.url[..<(question ?? item.url.endIndex)])
        let rawQuery = question.map { String(item.url[item.url.index(after: $0)...]) }
        if !path.hasPrefix("/") { path = "/" + path }
        let rawPath = "/\(version.rawValue)\(path)"
        var segments = try GraphRequest.segments(of: rawPath)
        segments.removeFirst()
        if segments.first?.lowercased() == "$batch" {
            throw GraphError.badRequest("Batch requests cannot be nested.")
        }
        return try await graphResponse(
            method: item.method, version: version, segments: segments, rawPath: rawPath, rawQuery: rawQuery,
            headers: item.headers, body: item.body, linkBase: linkBase)
    }

    // MARK: - Scheduling

    private func runBatch(_ items: [BatchItem], version: GraphRequest.Version, linkBase: String) async -> [BatchItemResult] {
        var finished: [String: Int] = [:]  // lower-cased id → status
        var results: [BatchItemResult] = []
        var pending = items
        while !pending.isEmpty {
            var ready: [BatchItem] = []
            var waiting: [BatchItem] = []
            for item in pending {
                let statuses = item.dependsOn.map { finished[$0.lowercased()] }
                if statuses.contains(where: { $0 == nil }) {
                    waiting.append(item)
                } else if statuses.contains(where: { !(200..<400).contains($0 ?? 0) }) {
                    // "If an individual request fails, any request that depends on that
                    // request fails with status code 424 (Failed Dependency)."
                    let failed = Self.failedDependency(item)
                    finished[item.id.lowercased()] = failed.status
                    results.append(failed)
                } else {
                    ready.append(item)
                }
            }
            for wave in ready.chunked(Self.batchConcurrency) {
                await withTaskGroup(of: BatchItemResult.self) { group in
                    for item in wave {
                        group.addTask { await self.batchItemResponse(item, version: version, linkBase: linkBase) }
                    }
                    for await result in group {
                        finished[result.id.lowercased()] = result.status
                        results.append(result)
                    }
                }
            }
            // Validation ruled out cycles and unknown ids, so every round finishes something.
            pending = waiting
        }
        return results
    }

    private static func failedDependency(_ item: BatchItem) -> BatchItemResult {
        let error = GraphError(
            status: .init(code: 424), code: "FailedDependency",
            message: "The request depends on a request of this batch that failed.")
        let requestID = UUID().uuidString.lowercased()
        return BatchItemResult(
            id: item.id, status: 424, headers: [("Content-Type", jsonContentType)],
            body: error.body(requestID: requestID, clientRequestID: requestID, date: Date()), contentType: jsonContentType)
    }

    // MARK: - Parsing

    private static func batchItems(_ body: ByteBuffer, contentType: String?) throws(GraphError) -> [BatchItem] {
        guard contentType?.lowercased().hasPrefix("application/json") == true else {
            throw GraphError(
                status: .unsupportedMediaType, code: "UnsupportedMediaType",
                message: "A batch request needs the header Content-Type: application/json.")
        }
        guard case .array(let requests)? = try RequestJSON.parse(body)?["requests"] else {
            throw invalidBatch("The batch needs a 'requests' array.")
        }
        guard !requests.isEmpty else { throw invalidBatch("The batch has no requests.") }
        // "Microsoft Graph supports batching up to 20 requests" (json-batching.md).
        guard requests.count <= maximumBatchRequests else {
            throw invalidBatch("The batch has \(requests.count) requests; at most \(maximumBatchRequests) are allowed.")
        }
        var items: [BatchItem] = []
        var seen: Set<String> = []
        for request in requests {
            let item = try batchItem(request)
            // Ids are "not case-sensitive" and "must be unique in the batch".
            guard seen.insert(item.id.lowercased()).inserted else {
                throw invalidBatch("The request id '\(item.id)' occurs more than once in the batch.")
            }
            items.append(item)
        }
        try checkDependencies(items)
        return items
    }

    private static func batchItem(_ json: RequestJSON) throws(GraphError) -> BatchItem {
        guard json.objectValue != nil else { throw invalidBatch("Each request of a batch must be an object.") }
        guard case .string(let id)? = json["id"], !id.isEmpty else {
            throw invalidBatch("Each request of a batch needs an 'id' string.")
        }
        guard case .string(let methodName)? = json["method"],
              let method = HTTPRequest.Method(methodName.uppercased()),
              [.get, .post, .patch, .put, .delete].contains(method)
        else { throw invalidBatch("Request id \(id) needs a 'method' of GET, POST, PATCH, PUT or DELETE.") }
        guard case .string(let url)? = json["url"], !url.isEmpty else {
            throw invalidBatch("Request id \(id) needs a 'url'.")
        }
        if url.lowercased().hasPrefix("http:") || url.lowercased().hasPrefix("https:") {
            throw invalidBatch("Request id \(id): the url of a batch request must be relative, such as /me/messages.")
        }
        var headers = HTTPFields()
        if let given = json["headers"], !given.isNull {
            guard case .object(let members) = given else { throw invalidBatch("Request id \(id): headers must be an object.") }
            try addHeaders(members, to: &headers, id: id)
        }
        var body = ByteBuffer()
        if let given = json["body"], !given.isNull {
            // "headers must include Content-Type when body is given".
            guard let type = headers[.contentType]?.lowercased() else {
                throw invalidBatch("Write request id : \(id) does not contain Content-Type header or body.")
            }
            switch given {
            case .string(let encoded) where !type.hasPrefix("application/json"):
                // Non-JSON bodies travel base64-encoded (URL-safe or standard alphabet).
                var standard = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                while standard.count % 4 != 0 { standard += "=" }
                guard let data = Data(base64Encoded: standard) else {
                    throw invalidBatch("Request id \(id): a body that is not JSON must be base64-encoded.")
                }
                body = ByteBuffer(bytes: data)
            default:
                body = ByteBuffer(bytes: given.bytes)
            }
        }
        // The item's body has a known length, like a request with Content-Length.
        headers[.contentLength] = String(body.readableBytes)
        var dependsOn: [String] = []
        if let list = json["dependsOn"], !list.isNull {
            guard case .array(let values) = list else { throw invalidBatch("Request id \(id): dependsOn must be an array of ids.") }
            for value in values {
                guard case .string(let dependency) = value else {
                    throw invalidBatch("Request id \(id): dependsOn must be an array of ids.")
                }
                dependsOn.append(dependency)
            }
        }
        return BatchItem(id: id, method: method, url: url, headers: headers, body: body, dependsOn: dependsOn)
    }

    private static func addHeaders(_ members: [String: RequestJSON], to headers: inout HTTPFields, id: String) throws(GraphError) {
        for (name, value) in members {
            guard let field = HeaderName(name) else { throw invalidBatch("Request id \(id) has an invalid header name '\(name)'.") }
            switch value {
            case .string(let text): headers[field] = text
            case .number, .bool: headers[field] = String(decoding: value.bytes, as: UTF8.self)
            default: throw invalidBatch("Request id \(id): header '\(name)' must be a string.")
            }
        }
    }

    /// Every dependency names a request of the batch and the dependencies have no cycle.
    private static func checkDependencies(_ items: [BatchItem]) throws(GraphError) {
        let byID = Dictionary(uniqueKeysWithValues: items.map { ($0.id.lowercased(), $0) })
        for item in items {
            for dependency in item.dependsOn where byID[dependency.lowercased()] == nil {
                throw invalidBatch("Request id \(item.id) depends on '\(dependency)', which is not in the batch.")
            }
        }
        var state: [String: Bool] = [:]  // false: being visited, true: done
        func visit(_ id: String) throws(GraphError) {
            if let done = state[id] {
                if !done { throw invalidBatch("The dependsOn of this batch form a cycle through request id \(byID[id]?.id ?? id).") }
                return
            }
            state[id] = false
            for dependency in byID[id]?.dependsOn ?? [] { try visit(dependency.lowercased()) }
            state[id] = true
        }
        for item in items { try visit(item.id.lowercased()) }
    }

    private static func invalidBatch(_ message: String) -> GraphError {
        GraphError.badRequest(message, code: "BadRequest")
    }

    // MARK: - Writing

    private static let droppedHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "date"]

    private static func result(of response: Response, id: String) async -> BatchItemResult {
        let collector = BodyCollector()
        // Route bodies are in-memory buffers or generated content; collecting them cannot fail
        // for a reason the client could act on, so a failure leaves the body empty.
        try? await response.body.write(CollectingWriter(collector: collector))
        var headers: [(String, String)] = []
        for field in response.headers where !droppedHeaders.contains(field.name.canonicalName) {
            headers.append((field.name.rawName, field.value))
        }
        return BatchItemResult(
            id: id, status: Int(response.status.code), headers: headers, body: collector.bytes,
            contentType: response.headers[.contentType])
    }

    private static func write(_ result: BatchItemResult, to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", result.id)
        json.field("status", result.status)
        json.key("headers")
        json.beginObject()
        for (name, value) in result.headers { json.field(name, value) }
        json.endObject()
        json.key("body")
        if result.body.isEmpty {
            json.null()
        } else if result.contentType?.lowercased().hasPrefix("application/json") == true,
                  (try? JSONSerialization.jsonObject(with: Data(result.body), options: [.fragmentsAllowed])) != nil {
            json.encodedValue(result.body)
        } else {
            // Binary and non-JSON bodies (attachment `$value`, MIME) are base64 in a batch.
            json.string(Data(result.body).base64EncodedString())
        }
        json.endObject()
    }
}

/// Receives a response body in memory: `ResponseBody.write` consumes the writer, so the bytes
/// are kept in a reference the caller still holds.
private final class BodyCollector {
    var bytes: [UInt8] = []
}

private struct CollectingWriter: ResponseBodyWriter {
    let collector: BodyCollector

    mutating func write(_ buffer: ByteBuffer) async throws {
        collector.bytes.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
