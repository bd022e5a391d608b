import Foundation
import NIOHTTP1

/// Everything that can go wrong talking to Graph, in terms the service layer can act on.
/// Messages from the server are untrusted: callers sanitise before display.
public enum GraphError: Error, Sendable, CustomStringConvertible {
    /// A Graph error envelope (`{"error":{"code","message","innerError":{…}}}`) or a bare status.
    case service(status: Int, code: String, message: String, requestID: String?, retryAfter: TimeInterval?)
    /// The server answered, but not with the JSON Graph promised (an HTML page with status 200…).
    case invalidResponse(status: Int, reason: String)
    /// A nextLink or deltaLink that points anywhere but the configured Graph host.
    case untrustedLink(String)
    /// Connection refused, reset, timed out, DNS…
    case transport(String)
    /// The token provider failed (not signed in, token command failed).
    case authentication(String)

    public var status: Int? {
        switch self {
        case .service(let status, _, _, _, _), .invalidResponse(let status, _): status
        default: nil
        }
    }

    public var code: String? {
        if case .service(_, let code, _, _, _) = self { return code }
        return nil
    }

    /// The token of a delta round is no longer valid: resync that folder (GRAPH.md §3.3).
    /// A 401 is never this.
    public var requiresDeltaReset: Bool {
        guard case .service(let status, let code, _, _, _) = self, status != 401 else { return false }
        let lowered = code.lowercased()
        return status == 410 || lowered == "syncstatenotfound" || lowered == "resyncrequired"
    }

    public var isNotFound: Bool {
        guard case .service(let status, let code, _, _, _) = self else { return false }
        return status == 404 || code == "ErrorItemNotFound"
    }

    public var description: String {
        switch self {
        case .service(let status, let code, let message, let requestID, _):
            var text = "Graph error \(status) \(code): \(message)"
            if let requestID { text += " (request-id \(requestID))" }
            return text
        case .invalidResponse(let status, let reason): return "unexpected response from the server (HTTP \(status)): \(reason)"
        case .untrustedLink(let link): return "refused to follow a link to another host: \(link)"
        case .transport(let reason): return "network error: \(reason)"
        case .authentication(let reason): return "sign-in failed: \(reason)"
        }
    }
}

extension GraphError {
    /// The typed error for a failed response body with no interesting headers.
    public static func fromResponse(status: Int, body: Data) -> GraphError {
        GraphClient.error(status: status, headers: [:], body: body)
    }
}

/// The Graph error envelope.
struct GraphErrorEnvelope: Decodable {
    struct Body: Decodable {
        var code: String?
        var message: String?
        var innerError: Inner?
        enum CodingKeys: String, CodingKey { case code, message, innerError, innererror }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = (try? c.decodeIfPresent(LenientString.self, forKey: .code))?.value
            message = (try? c.decodeIfPresent(LenientString.self, forKey: .message))?.value
            innerError = (try? c.decodeIfPresent(Inner.self, forKey: .innerError))
                ?? (try? c.decodeIfPresent(Inner.self, forKey: .innererror))
        }
    }
    struct Inner: Decodable {
        var requestID: String?
        enum CodingKeys: String, CodingKey { case requestID = "request-id" }
    }
    var error: Body
}
