import Foundation
import Hummingbird

/// Where a request goes before Graph routing.
enum EmulatorPath: Equatable {
    /// `/v1.0/…`, `/beta/…` and anything else Graph routing answers.
    case graph
    /// `/_emulator/…`: the control surface.
    case control
    /// `/{tenant}/oauth2/v2.0/{endpoint}`: the identity platform.
    case identity(endpoint: String)

    init(_ path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.first == "_emulator" {
            self = .control
        } else if segments.count >= 3, segments[1].lowercased() == "oauth2", segments[2].lowercased() == "v2.0" {
            self = .identity(endpoint: segments.dropFirst(3).joined(separator: "/"))
        } else {
            self = .graph
        }
    }
}

/// A request let through the throttle and the fault schedule. Whoever admitted it releases it
/// once its response is known: `finish(_:for:admission:)` for a top-level request,
/// `release(_:status:)` for a request inside `$batch`.
struct Admission: Sendable {
    /// The statistics key, e.g. `GET /me/messages/{id}`.
    let key: String
    /// Whether it holds one of the mailbox's concurrent-request slots.
    let holdsSlot: Bool
    /// A fault to apply to the response on its way out (top-level requests only).
    let transportFault: FaultAction?
}

extension GraphResponder {
    /// Sign-in and control-surface requests, which never reach Graph routing; nil for the rest.
    func respondOutsideGraph(to request: Request, context: Context) async -> Response? {
        switch EmulatorPath(request.uri.path) {
        case .graph:
            return nil
        case .control:
            return await ControlSurface(runtime: runtime).respond(to: request, peerIsLoopback: context.peerIsLoopback)
        case .identity(let endpoint):
            let method = request.method.rawValue
            let path = request.uri.path
            let template = EndpointTemplate.template(path: path)
            let decision = runtime.faults.decide(method: method, path: path, template: template, inBatch: false)
            await Self.pause(milliseconds: decision.latencyMilliseconds + configuration.latencyMilliseconds)
            var response: Response
            if case .status(let status, let retryAfter) = decision.action {
                response = IdentityEndpoint.injectedFailure(status: status, retryAfter: retryAfter, request: request)
            } else {
                response = await IdentityEndpoint(identity: runtime.identity).respond(
                    to: request, endpoint: endpoint, linkBase: "http://\(request.head.authority ?? "localhost")")
            }
            if let fault = decision.action, fault.isTransport {
                response = await TransportFault.apply(fault, to: response)
            }
            runtime.statistics.record("\(method) \(template)", status: Int(response.status.code))
            return response
        }
    }

    /// Admits a top-level Graph request. nil for requests the mailbox does not count: those
    /// without a valid token (routing answers them 401), unknown paths, and `$batch` itself,
    /// whose inner requests are admitted one by one. Attachment upload URLs (`/api/v2.0/…`)
    /// carry their credential in the URL and are admitted without a bearer token.
    func admitTopLevel(_ request: Request) async throws(GraphError) -> Admission? {
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let isGraph = segments.first.map { GraphRequest.Version(rawValue: $0.lowercased()) != nil } ?? false
        let isUpload = segments.first?.lowercased() == "api"
        guard isUpload || (isGraph && runtime.identity.check(authorization: request.headers[.authorization]) == .valid) else {
            await Self.pause(milliseconds: configuration.latencyMilliseconds)
            return nil
        }
        let isBatch = segments.count == 2 && segments[1].lowercased() == "$batch"
        return try await admit(
            method: request.method.rawValue, path: path, inBatch: false, throttled: !isBatch,
            latency: configuration.latencyMilliseconds)
    }

    /// Admits one request inside `$batch` (its relative `url`, e.g. `/me/messages?$top=5`)
    /// against Outlook's limits and the fault schedule's status and latency rules. Throws the
    /// 429 (or injected status) the batch answers for that item; otherwise the caller runs the
    /// request and then calls `release(_:status:)`.
    func admit(method: HTTPRequest.Method, path: String) async throws(GraphError) -> Admission {
        try await admit(method: method.rawValue, path: path, inBatch: true, throttled: true, latency: 0)
    }

    /// `admit(method:path:)` for an inner request built as a Hummingbird `Request`.
    func admit(request: Request) async throws(GraphError) -> Admission {
        try await admit(method: request.method, path: request.uri.path)
    }

    /// Ends an admitted request inside `$batch`: frees its slot and counts its status.
    func release(_ admission: Admission, status: HTTPResponse.Status) {
        if admission.holdsSlot { runtime.throttle.release() }
        runtime.statistics.record(admission.key, status: Int(status.code))
    }

    /// Ends a top-level Graph request: frees its slot, applies a transport fault, counts it.
    func finish(_ response: Response, for request: Request, admission: Admission?) async -> Response {
        var response = response
        if let admission {
            if admission.holdsSlot { runtime.throttle.release() }
            if let fault = admission.transportFault { response = await TransportFault.apply(fault, to: response) }
        }
        let key = admission?.key ?? EndpointTemplate.key(method: request.method.rawValue, path: request.uri.path)
        runtime.statistics.record(key, status: Int(response.status.code))
        return response
    }

    private func admit(
        method: String, path: String, inBatch: Bool, throttled: Bool, latency: Int
    ) async throws(GraphError) -> Admission {
        let rawPath = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        let template = EndpointTemplate.template(path: rawPath)
        let key = "\(inBatch ? "$batch " : "")\(method) \(template)"
        if throttled {
            let rejection: GraphError?
            switch runtime.throttle.acquire() {
            case .admitted: rejection = nil
            case .overConcurrency: rejection = .mailboxConcurrency
            case .overBudget(let retryAfter): rejection = .tooManyRequests(retryAfter: String(retryAfter))
            }
            if let rejection {
                if inBatch { runtime.statistics.record(key, status: Int(rejection.status.code)) }
                throw rejection
            }
        }
        let decision = runtime.faults.decide(
            method: method, path: Self.pathAfterVersion(rawPath), template: template, inBatch: inBatch)
        await Self.pause(milliseconds: decision.latencyMilliseconds + latency)
        if case .status(let status, let retryAfter) = decision.action {
            if throttled { runtime.throttle.release() }
            let failure = GraphError.injected(status: status, retryAfter: retryAfter)
            if inBatch { runtime.statistics.record(key, status: status) }
            throw failure
        }
        let transport = decision.action.flatMap { $0.isTransport ? $0 : nil }
        return Admission(key: key, holdsSlot: throttled, transportFault: transport)
    }

    /// `/v1.0/me/messages` → `/me/messages`, the form fault globs are written against.
    static func pathAfterVersion(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let first = segments.first, GraphRequest.Version(rawValue: first.lowercased()) != nil else { return path }
        return "/" + segments.dropFirst().joined(separator: "/")
    }

    /// Holds a request; a cancelled request (the server stopping) just goes on.
    static func pause(milliseconds: Int) async {
        guard milliseconds > 0 else { return }
        try? await Task.sleep(for: .milliseconds(milliseconds))
    }
}

extension GraphError {
    /// Outlook's answer to a fifth concurrent request on a mailbox. GRAPH.md §10.1 gives the
    /// limit but no body; code and message are the ones reported from the service
    /// (magodo/terraform-provider-outlook#21, alcionai/corso#3695), and `Retry-After: 1`
    /// is what clients report on Outlook 429s (msgraph-sdk-javascript#297).
    static var mailboxConcurrency: GraphError {
        var error = GraphError(
            status: .tooManyRequests, code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit.",
            headers: [(HeaderName("Retry-After")!, "1")])
        error.innerErrorFields = [("code", "429"), ("message", "Please retry after"), ("status", "429")]
        return error
    }

    /// The request budget is spent: the throttling sample's body (GRAPH.md §10.1).
    static func tooManyRequests(retryAfter: String?) -> GraphError {
        var error = GraphError(status: .tooManyRequests, code: "TooManyRequests", message: "Please retry again later.")
        if let retryAfter { error.headers.append((HeaderName("Retry-After")!, retryAfter)) }
        error.innerErrorFields = [("code", "429"), ("message", "Please retry after"), ("status", "429")]
        return error
    }

    /// A status the fault schedule answers with instead of running the request.
    static func injected(status: Int, retryAfter: String?) -> GraphError {
        if status == 429 { return tooManyRequests(retryAfter: retryAfter) }
        let (code, message): (String, String) =
            switch status {
            case 400: ("invalidRequest", "The request is malformed or incorrect.")
            case 401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
            case 403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            case 404: ("ErrorItemNotFound", "The specified object was not found in the store.")
            case 503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry after a delay.")
            case 504: ("UnknownError", "The gateway timed out waiting for the mailbox server.")
            default: ("generalException", "An unspecified error has occurred.")
            }
        var error = GraphError(status: HTTPResponse.Status(code: status), code: code, message: message)
        if status == 401 { error = .invalidToken(message) }
        if let retryAfter { error.headers.append((HeaderName("Retry-After")!, retryAfter)) }
        return error
    }
}
