import Foundation
import Hummingbird

/// Header names (`HTTPField.Name`), reached through Hummingbird's re-exported `HTTPFields`.
typealias HeaderName = HTTPFields.Element.Name

/// An error answer in Graph's envelope:
/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
struct GraphError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: [(HeaderName, String)] = []
    /// More `innerError` members after the usual ones, as throttling answers carry
    /// (`code`, `message`, `status`: ../graph-samples/error-429-throttled.json).
    var innerErrorFields: [(String, String)] = []

    static func badRequest(_ message: String, code: String = "BadRequest") -> GraphError {
        GraphError(status: .badRequest, code: code, message: message)
    }

    static let itemNotFound = GraphError(
        status: .notFound, code: "ErrorItemNotFound",
        message: "The specified object was not found in the store., The process failed to get the correct properties.")

    static let malformedID = GraphError(status: .badRequest, code: "ErrorInvalidIdMalformed", message: "Id is malformed.")

    static let mailboxNotEnabled = GraphError(
        status: .notFound, code: "MailboxNotEnabledForRESTAPI",
        message: "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")

    static func resourceNotFound(segment: String) -> GraphError {
        .badRequest("Resource not found for the segment '\(segment)'.")
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method) -> GraphError {
        GraphError(
            status: .methodNotAllowed, code: "ErrorInvalidRequest",
            message: "The HTTP method '\(method.rawValue)' is not supported for this resource by the emulator.")
    }

    static func syncStateNotFound(location: String?) -> GraphError {
        var error = GraphError(
            status: .gone, code: "SyncStateNotFound",
            message: "The sync state generation is not found; the delta token is unknown or has expired.")
        if let location { error.headers.append((.location, location)) }
        return error
    }

    /// 401 with the `WWW-Authenticate` challenge Graph sends.
    static func invalidToken(_ message: String) -> GraphError {
        GraphError(
            status: .unauthorized, code: "InvalidAuthenticationToken", message: message,
            headers: [(
                .wwwAuthenticate,
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
                    + "client_id=\"00000003-0000-0000-c000-000000000000\""
            )])
    }

    init(status: HTTPResponse.Status, code: String, message: String, headers: [(HeaderName, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    init(_ error: QueryError) {
        self.init(status: .badRequest, code: error.code, message: error.message)
    }

    init(_ error: MailboxError) {
        switch error {
        case .messageNotFound, .folderNotFound: self = .itemNotFound
        case .malformedID: self = .malformedID
        case .syncStateNotFound: self = .syncStateNotFound(location: nil)
        }
    }

    func body(requestID: String, clientRequestID: String, date: Date) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.field("code", code)
        json.field("message", message)
        json.key("innerError")
        json.beginObject()
        // Graph writes this date without a zone designator.
        var stamp = GraphDate.format(GraphDate.seconds(date))
        stamp.removeLast()
        json.field("date", stamp)
        json.field("request-id", requestID)
        json.field("client-request-id", clientRequestID)
        for (name, value) in innerErrorFields { json.field(name, value) }
        json.endObject()
        json.endObject()
        json.endObject()
        return json.bytes
    }
}
