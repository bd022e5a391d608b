import Foundation
import Hummingbird

/// The HTTP entry point: checks the bearer token, parses the Graph path and dispatches.
///
/// Graph paths are matched by hand rather than with Hummingbird's router because Graph
/// matches segment names without regard to case (`mailfolders`), accepts OData key syntax
/// (`mailFolders('id')`) and fully qualified function names (`microsoft.graph.delta()`),
/// and ids contain percent-encoded `/`, `+` and `=`.
struct GraphResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext

    /// Sign-in state, throttle, faults, statistics and the current mailbox (EmulatorRuntime.swift).
    let runtime: EmulatorRuntime
    let configuration: GraphEmulatorConfiguration

    /// The mailbox served now (`POST /_emulator/reset` replaces it).
    var mailbox: Mailbox { runtime.mailbox }

    static let jsonContentType =
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    static let requestIDName = HeaderName("request-id")!
    static let clientRequestIDName = HeaderName("client-request-id")!
    static let preferenceAppliedName = HeaderName("Preference-Applied")!
    static let preferName = HeaderName("Prefer")!
    static let diagnosticName = HeaderName("x-ms-ags-diagnostic")!
    static let odataVersionName = HeaderName("OData-Version")!

    func respond(to request: Request, context: Context) async throws -> Response {
        // Sign-in endpoints and the /_emulator control surface (GraphResponder+Emulator.swift).
        if let response = await respondOutsideGraph(to: request, context: context) { return response }
        let requestID = UUID().uuidString.lowercased()
        // Graph echoes the caller's client-request-id, or repeats its own request-id.
        let clientRequestID = request.headers[Self.clientRequestIDName] ?? requestID
        var response: Response
        var admission: Admission?
        do {
            // Throttling and the fault schedule, before the request touches the mailbox.
            admission = try await admitTopLevel(request)
            response = try await route(request)
        } catch {
            response = errorResponse(for: error, requestID: requestID, clientRequestID: clientRequestID)
        }
        response.headers[Self.requestIDName] = requestID
        response.headers[Self.clientRequestIDName] = clientRequestID
        response.headers[.cacheControl] = "no-cache"
        response.headers[Self.diagnosticName] =
            #"{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"otter-graph-emulator"}}"#
        return await finish(response, for: request, admission: admission)
    }

    /// Any error a route throws, as Graph's error envelope (unexpected ones are a 500).
    func errorResponse(for error: any Error, requestID: String, clientRequestID: String) -> Response {
        let failure: GraphError
        switch error {
        case let error as GraphError: failure = error
        case let error as QueryError: failure = GraphError(error)
        case let error as MailboxError: failure = GraphError(error)
        default:
            configuration.logger.error("Unexpected emulator error: \(error)")
            failure = GraphError(status: .internalServerError, code: "generalException", message: "An internal error occurred.")
        }
        return Self.errorResponse(failure, requestID: requestID, clientRequestID: clientRequestID)
    }

    static func errorResponse(_ error: GraphError, requestID: String, clientRequestID: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = jsonContentType
        for (name, value) in error.headers { headers[name] = value }
        let bytes = error.body(requestID: requestID, clientRequestID: clientRequestID, date: Date())
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func route(_ request: Request) async throws -> Response {
        let rawPath = request.uri.path
        var segments = try GraphRequest.segments(of: rawPath)
        guard let first = segments.first else { throw GraphError.resourceNotFound(segment: "/") }
        // Attachment upload URLs are pre-authenticated (no bearer token) and live outside the
        // Graph versions, like Outlook's `/api/v2.0/…/AttachmentSessions('…')`.
        if first.lowercased() == "api" { return try await uploadSessionResponse(request, segments: segments) }
        guard let version = GraphRequest.Version(rawValue: first.lowercased()) else {
            throw GraphError(status: .notFound, code: "ResourceNotFound", message: "Resource could not be discovered.")
        }
        segments.removeFirst()
        try authorize(request)
        if segments.count == 1, segments[0].lowercased() == "$batch" {
            return try await batch(request, version: version)
        }
        return try await graphResponse(
            method: request.method, version: version, segments: segments, rawPath: rawPath, rawQuery: request.uri.query,
            headers: request.headers, body: try await Self.collectBody(of: request),
            linkBase: "http://\(request.head.authority ?? "localhost")")
    }

    /// Serves an authorized Graph request below `/v1.0` or `/beta`: a top-level request, or
    /// one item of a `$batch` (GraphResponder+Batch.swift), which goes through the same routes.
    /// `segments` are the decoded path segments after the version.
    func graphResponse(
        method: HTTPRequest.Method, version: GraphRequest.Version, segments: [String], rawPath: String, rawQuery: String?,
        headers: HTTPFields, body: ByteBuffer, linkBase: String
    ) async throws -> Response {
        var segments = segments
        guard let scope = segments.first else { throw GraphError.badRequest("Invalid request: no resource was given.") }
        switch scope.lowercased() {
        case "me":
            segments.removeFirst()
        case "users":
            guard segments.count >= 2 else {
                throw GraphError.badRequest("The emulator serves only the signed-in user's mailbox; listing users is not supported.")
            }
            let user = segments[1]
            segments.removeFirst(2)
            guard user == mailbox.owner.id || user.lowercased() == mailbox.owner.address.lowercased() else {
                // Another user's mailbox is not served: the user itself is unknown, and any
                // mail resource under it answers like a mailbox that REST cannot reach.
                throw segments.isEmpty ? GraphError.itemNotFound : GraphError.mailboxNotEnabled
            }
        default:
            throw GraphError.resourceNotFound(segment: scope)
        }
        // Each route checks the method itself (a GET-only route answers 405 to anything else).
        let graphRequest = GraphRequest(
            method: method, version: version, segments: segments, rawPath: rawPath,
            query: try QueryOptions(rawQuery: rawQuery),
            preferences: Preferences(headerValues: headers[values: Self.preferName]),
            linkBase: linkBase, userID: mailbox.owner.id, body: body, headers: headers)
        let handlers = GraphHandlers(mailbox: mailbox, configuration: configuration, request: graphRequest)
        return try await handlers.dispatch()
    }

    /// Graph refuses requests over 4 MB ("The maximum request length supported is 4MB."),
    /// which is why attachments of 3 MB and more need an upload session.
    static let maximumRequestBytes = 4 * 1024 * 1024

    static func collectBody(of request: Request) async throws -> ByteBuffer {
        guard request.method != .get, request.method != .head else { return ByteBuffer() }
        do {
            return try await request.body.collect(upTo: maximumRequestBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // NIO's "too many bytes" error, which Hummingbird maps to 413.
            throw GraphError(
                status: .contentTooLarge, code: "RequestEntityTooLarge", message: "The maximum request length supported is 4MB.")
        }
    }

    private func authorize(_ request: Request) throws(GraphError) {
        guard let header = request.headers[.authorization], !header.isEmpty else {
            throw .invalidToken("Access token is empty.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .invalidToken("Access token is empty.")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        switch runtime.identity.check(accessToken: token) {
        case .valid:
            return
        case .expired:
            throw .invalidToken("Access token has expired or is not yet valid.")
        case .unknown:
            // The messages Graph gives for tokens it cannot parse, with and without JWT dots.
            throw .invalidToken(
                token.contains(".")
                    ? "CompactToken parsing failed with error code: 80049217"
                    : "IDX14100: JWT is not well formed, there are no dots (.).")
        }
    }
}
