import Foundation
import Hummingbird

/// `/_emulator/…`: the control surface for tests, demos and benchmarks (docs/EMULATOR.md).
///
/// It is not Graph: no bearer token, no throttling, no faults, not counted in statistics,
/// and only clients on this machine are answered. Bodies are JSON; errors are
/// `{"error":{"code","message"}}`.
struct ControlSurface {
    let runtime: EmulatorRuntime

    struct Failure: Error {
        var status: HTTPResponse.Status
        var code: String
        var message: String

        static func badRequest(_ message: String) -> Failure { Failure(status: .badRequest, code: "BadRequest", message: message) }
        static func notFound(_ message: String) -> Failure { Failure(status: .notFound, code: "NotFound", message: message) }
    }

    func respond(to request: Request, peerIsLoopback: Bool) async -> Response {
        guard peerIsLoopback else {
            return Self.failure(Failure(status: .forbidden, code: "Forbidden", message: "The control surface answers clients on this machine only."))
        }
        do {
            return try await route(request)
        } catch let failure as Failure {
            return Self.failure(failure)
        } catch let error as GraphError {
            return Self.failure(Failure(status: error.status, code: error.code, message: error.message))
        } catch let error as MailboxError {
            let graph = GraphError(error)
            return Self.failure(Failure(status: graph.status, code: graph.code, message: "\(graph.message) (\(error))"))
        } catch {
            return Self.failure(Failure(status: .internalServerError, code: "InternalError", message: "\(error)"))
        }
    }

    private func route(_ request: Request) async throws -> Response {
        let segments = try GraphRequest.segments(of: request.uri.path).dropFirst().map { $0 }
        let query = try QueryOptions(rawQuery: request.uri.query)
        let method = request.method
        switch (method, segments.map { $0.lowercased() }) {
        case (.get, []):
            return Self.json(["endpoints": Self.index])
        case (.post, ["deliver"]):
            return try await deliver(request, folder: query.value("folder"))
        case (.post, let path) where path.count == 3 && path[0] == "messages":
            return try await messageChange(request, id: segments[1], action: path[2])
        case (.get, ["devicecode"]):
            return deviceCodes()
        case (.post, ["devicecode", "approve"]):
            return try await decide(request, approve: true)
        case (.post, ["devicecode", "decline"]):
            return try await decide(request, approve: false)
        case (.get, ["devicelogin"]):
            return Self.html(Self.deviceLoginPage)
        case (.post, ["expire"]):
            return try await expire(request)
        case (.get, ["faults"]):
            return faults()
        case (.post, ["faults"]):
            return try await installFaults(request)
        case (.delete, ["faults"]):
            runtime.faults.install(FaultSchedule())
            return faults()
        case (.get, ["stats"]):
            return statistics()
        case (.delete, ["stats"]):
            runtime.statistics.clear()
            return statistics()
        case (.get, ["connections"]):
            return Self.json(["opened": runtime.connections.openedCount])
        case (.get, ["throttle"]):
            return throttle()
        case (.post, ["throttle"]):
            return try await updateThrottle(request)
        case (.get, ["mailbox"]):
            return try await mailboxDump(folder: query.value("folder"))
        case (.post, ["reset"]):
            return try await reset()
        default:
            let known = Self.index.contains { $0.hasSuffix(" /_emulator/" + segments.joined(separator: "/")) }
            if known || (segments.count == 3 && segments[0].lowercased() == "messages") {
                throw Failure(status: .methodNotAllowed, code: "MethodNotAllowed", message: "\(method.rawValue) is not supported here.")
            }
            throw Failure.notFound("No control endpoint /_emulator/\(segments.joined(separator: "/")); GET /_emulator lists them.")
        }
    }

    static let index = [
        "POST /_emulator/deliver?folder=FOLDER", "POST /_emulator/messages/{id}/update", "POST /_emulator/messages/{id}/move",
        "POST /_emulator/messages/{id}/delete", "GET /_emulator/devicecode", "POST /_emulator/devicecode/approve",
        "POST /_emulator/devicecode/decline", "GET /_emulator/devicelogin", "POST /_emulator/expire", "GET /_emulator/faults",
        "POST /_emulator/faults", "DELETE /_emulator/faults", "GET /_emulator/stats", "DELETE /_emulator/stats",
        "GET /_emulator/connections",
        "GET /_emulator/throttle", "POST /_emulator/throttle", "GET /_emulator/mailbox?folder=FOLDER", "POST /_emulator/reset",
    ]

    // MARK: - Sign-in

    private func deviceCodes() -> Response {
        let now = ContinuousClock.now
        let items: [[String: Any]] = runtime.identity.pendingDeviceAuthorizations().map { device in
            let remaining = device.expires - now
            return [
                "user_code": device.userCode, "client_id": device.grant.clientID,
                "scope": device.grant.scopes.joined(separator: " "),
                "status": remaining > .zero ? device.status.rawValue : "expired",
                "interval": device.interval, "expires_in": max(0, Int(remaining.seconds.rounded(.down))),
            ]
        }
        return Self.json(["value": items])
    }

    /// Approves or declines a device code, as the user would on the verification page. The
    /// page posts a form; scripts post `{"user_code": "…"}`.
    private func decide(_ request: Request, approve: Bool) async throws -> Response {
        let isForm = request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        let userCode: String?
        if isForm {
            userCode = await IdentityEndpoint.form(of: request)["user_code"]
        } else {
            userCode = try await Self.body(of: request)?.string("user_code")
        }
        guard let userCode = userCode?.trimmingCharacters(in: .whitespaces), !userCode.isEmpty else {
            throw Failure.badRequest("Give the code as {\"user_code\": \"…\"}.")
        }
        switch runtime.identity.decide(userCode: userCode, approve: approve) {
        case .done(let status):
            if isForm {
                return Self.html(Self.page(
                    title: approve ? "Signed in" : "Sign-in declined",
                    body: approve ? "<p>You have signed in. You can close this window.</p>" : "<p>The request was declined.</p>"))
            }
            return Self.json(["user_code": userCode.uppercased(), "status": status.rawValue])
        case .unknownCode:
            throw Failure.notFound("No device authorization has the code '\(userCode)'.")
        case .notPending(let state):
            throw Failure(status: .conflict, code: "NotPending", message: "The code '\(userCode)' is \(state), not waiting for the user.")
        }
    }

    private func expire(_ request: Request) async throws -> Response {
        guard let body = try await Self.body(of: request), let members = body.objectValue else {
            throw Failure.badRequest("Say what to expire: {\"deltaTokens\": true, \"accessTokens\": true, \"refreshTokens\": true, \"deviceCodes\": true}.")
        }
        let known = ["deltatokens", "accesstokens", "refreshtokens", "devicecodes"]
        if let unknown = members.keys.first(where: { !known.contains($0.lowercased()) }) {
            throw Failure.badRequest("Unknown member '\(unknown)'; expected deltaTokens, accessTokens, refreshTokens or deviceCodes.")
        }
        var result: [String: Any] = [:]
        if try body.bool("deltaTokens") == true {
            runtime.mailbox.tokens.rotate()
            result["deltaTokens"] = true
        }
        if try body.bool("accessTokens") == true { result["accessTokens"] = runtime.identity.expireAccessTokens() }
        if try body.bool("refreshTokens") == true { result["refreshTokens"] = runtime.identity.revokeRefreshTokens() }
        if try body.bool("deviceCodes") == true { result["deviceCodes"] = runtime.identity.expireDeviceCodes() }
        return Self.json(["expired": result])
    }

    // MARK: - Faults, statistics, throttle

    private func faults() -> Response {
        let schedule = runtime.faults.schedule
        let rules: [[String: Any]] = runtime.faults.ruleStates.map { state in
            var match: [String: Any] = ["path": state.rule.path, "nth": state.rule.nth, "probability": state.rule.probability]
            if let method = state.rule.method { match["method"] = method }
            var object: [String: Any] = [
                "match": match, "action": state.rule.action.jsonObject, "seen": state.seen, "fired": state.fired,
            ]
            if let count = state.rule.count { object["count"] = count }
            if let deadline = state.deadline { object["until"] = GraphDate.format(GraphDate.seconds(deadline)) }
            return object
        }
        return Self.json(["seed": schedule.seed, "rules": rules])
    }

    /// A JSON schedule, `{"spec": "…"}`, or the SPEC as a `text/plain` body.
    private func installFaults(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let text = String(buffer: buffer)
        let schedule: FaultSchedule
        do {
            if request.headers[.contentType]?.lowercased().hasPrefix("text/plain") == true {
                schedule = try FaultSchedule(spec: text)
            } else {
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
                    throw Failure.badRequest("The body is not JSON (send a SPEC as text/plain).")
                }
                schedule = try FaultSchedule(json: object)
            }
        } catch let error as FaultSpecError {
            throw Failure.badRequest(error.description)
        }
        runtime.faults.install(schedule)
        return faults()
    }

    private func statistics() -> Response {
        var object: [String: Any] = [:]
        for (key, counts) in runtime.statistics.snapshot() {
            object[key] = Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) })
        }
        return Self.json(object)
    }

    private func throttle() -> Response {
        let snapshot = runtime.throttle.snapshot()
        var object: [String: Any] = [
            "inFlight": snapshot.inFlight,
            "maxConcurrentRequests": snapshot.limits.maxConcurrentRequests.map { $0 as Any } ?? NSNull(),
        ]
        if let budget = snapshot.limits.budget {
            object["budget"] = ["requests": budget.requests, "windowSeconds": budget.window.seconds, "inWindow": snapshot.inWindow]
        } else {
            object["budget"] = NSNull()
        }
        return Self.json(object)
    }

    /// `{"maxConcurrentRequests": N|null, "budget": {"requests": N, "windowSeconds": S}|null,
    /// "clearWindow": true}`; absent members keep their values.
    private func updateThrottle(_ request: Request) async throws -> Response {
        guard let body = try await Self.body(of: request), let members = body.objectValue else {
            throw Failure.badRequest("Expected a JSON object.")
        }
        var limits = runtime.throttle.snapshot().limits
        for (key, value) in members {
            switch (key.lowercased(), value) {
            case ("maxconcurrentrequests", .null):
                limits.maxConcurrentRequests = nil
            case ("maxconcurrentrequests", .number(let number)) where number >= 1 && number == number.rounded():
                limits.maxConcurrentRequests = Int(number)
            case ("budget", .null):
                limits.budget = nil
            case ("budget", .object):
                guard case .number(let requests)? = value["requests"], requests >= 1,
                      case .number(let seconds)? = value["windowSeconds"], seconds > 0
                else { throw Failure.badRequest("budget is {\"requests\": N, \"windowSeconds\": S} or null.") }
                limits.budget = RequestBudget(requests: Int(requests), window: .milliseconds(Int64(seconds * 1000)))
            case ("clearwindow", .bool):
                continue
            default:
                throw Failure.badRequest("Unexpected member '\(key)'; expected maxConcurrentRequests, budget or clearWindow.")
            }
        }
        runtime.throttle.update(limits, clearWindow: try body.bool("clearWindow") ?? false)
        return throttle()
    }

    // MARK: - Reset

    private func reset() async throws -> Response {
        guard let mailbox = try runtime.resetMailbox() else {
            throw Failure(
                status: .conflict, code: "ResetUnavailable",
                message: "This server was given a ready-made Mailbox; create it with GraphEmulatorServer(makeMailbox:) to reset.")
        }
        let folders = await mailbox.allFolders(includeHidden: true).count
        return Self.json(["messages": await mailbox.messageCount, "folders": folders])
    }

    // MARK: - Helpers

    static func body(of request: Request) async throws -> RequestJSON? {
        let buffer = try await request.body.collect(upTo: GraphResponder.maximumRequestBytes * 16)
        return try RequestJSON.parse(buffer)
    }

    static func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return bytes(Array(data), status: status)
    }

    static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func failure(_ failure: Failure) -> Response {
        json(["error": ["code": failure.code, "message": failure.message]], status: failure.status)
    }

    static func html(_ page: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title) · Otter Graph emulator</title></head>
        <body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
        <h1>\(title)</h1>
        \(body)
        </body></html>

        """
    }

    /// The `verification_uri` of the emulator's device codes.
    static let deviceLoginPage = page(
        title: "Sign in",
        body: """
            <p>Enter the code shown by the application.</p>
            <form method="post" action="/_emulator/devicecode/approve">
            <input name="user_code" autofocus autocomplete="off" size="12">
            <button type="submit">Sign in</button>
            <button type="submit" formaction="/_emulator/devicecode/decline">Decline</button>
            </form>
            """)
}
