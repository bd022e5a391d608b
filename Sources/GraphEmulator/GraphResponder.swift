import Foundation
import Hummingbird

/// The HTTP entry point: checks the bearer token, parses the Graph path and dispatches.
///
/// Graph paths are matched by hand rather than with Hummingbird's router because Graph
/// matches segment names without regard to case (`mailfolders`), accepts OData key syntax
/// (`mailFolders('id')`) and fully qualified function names (`microsoft.graph.delta()`),
/// and ids contain percent-encoded `/`, `+` and `=`.
struct GraphResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let mailbox: Mailbox
    let accessTokens: Set<String>
    let configuration: GraphEmulatorConfiguration

    static let jsonContentType =
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    static let requestIDName = HeaderName("request-id")!
    static let clientRequestIDName = HeaderName("client-request-id")!
    static let preferenceAppliedName = HeaderName("Preference-Applied")!
    static let preferName = HeaderName("Prefer")!
    static let diagnosticName = HeaderName("x-ms-ags-diagnostic")!
    static let odataVersionName = HeaderName("OData-Version")!

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = UUID().uuidString.lowercased()
        // Graph echoes the caller's client-request-id, or repeats its own request-id.
        let clientRequestID = request.headers[Self.clientRequestIDName] ?? requestID
        var response: Response
        do {
            response = try await route(request)
        } catch let error as GraphError {
            response = Self.errorResponse(error, requestID: requestID, clientRequestID: clientRequestID)
        } catch let error as QueryError {
            response = Self.errorResponse(GraphError(error), requestID: requestID, clientRequestID: clientRequestID)
        } catch let error as MailboxError {
            response = Self.errorResponse(GraphError(error), requestID: requestID, clientRequestID: clientRequestID)
        } catch {
            configuration.logger.error("Unexpected emulator error: \(error)")
            let failure = GraphError(status: .internalServerError, code: "generalException", message: "An internal error occurred.")
            response = Self.errorResponse(failure, requestID: requestID, clientRequestID: clientRequestID)
        }
        response.headers[Self.requestIDName] = requestID
        response.headers[Self.clientRequestIDName] = clientRequestID
        response.headers[.cacheControl] = "no-cache"
        response.headers[Self.diagnosticName] =
            #"{"ServerInfo":{"DataCenter":"Loopback","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"otter-graph-emulator"}}"#
        return response
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
        guard let version = GraphRequest.Version(rawValue: first.lowercased()) else {
            throw GraphError(status: .notFound, code: "ResourceNotFound", message: "Resource could not be discovered.")
        }
        segments.removeFirst()
        try authorize(request)
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
        guard request.method == .get else { throw GraphError.methodNotAllowed(request.method) }
        let graphRequest = GraphRequest(
            method: request.method, version: version, segments: segments, rawPath: rawPath,
            query: try QueryOptions(rawQuery: request.uri.query),
            preferences: Preferences(headerValues: request.headers[values: Self.preferName]),
            linkBase: "http://\(request.head.authority ?? "localhost")", userID: mailbox.owner.id)
        let handlers = GraphHandlers(mailbox: mailbox, configuration: configuration, request: graphRequest)
        return try await handlers.dispatch()
    }

    private func authorize(_ request: Request) throws(GraphError) {
        guard let header = request.headers[.authorization], !header.isEmpty else {
            throw .invalidToken("Access token is empty.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .invalidToken("Access token is empty.")
        }
        guard accessTokens.contains(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw .invalidToken("Access token has expired or is not yet valid.")
        }
    }
}
