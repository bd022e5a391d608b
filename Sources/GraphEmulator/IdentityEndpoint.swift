import Foundation
import Hummingbird

/// `POST /{tenant}/oauth2/v2.0/devicecode` and `POST /{tenant}/oauth2/v2.0/token`, the
/// Microsoft identity platform endpoints of the device authorization grant and of refresh
/// (GRAPH.md §11). Any tenant (`common`, `organizations`, a GUID or a domain) and any
/// client id are accepted.
struct IdentityEndpoint {
    let identity: IdentityPlatform

    static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

    func respond(to request: Request, endpoint: String, linkBase: String) async -> Response {
        let result: Result<[UInt8], IdentityError>
        if request.method != .post {
            result = .failure(IdentityError(
                error: "invalid_request", code: 900561,
                description: "The endpoint only accepts POST requests. Received a \(request.method.rawValue) request."))
        } else {
            let form = await Self.form(of: request)
            switch endpoint.lowercased() {
            case "devicecode": result = deviceCode(form, linkBase: linkBase)
            case "token": result = token(form)
            default: return Response(status: .notFound)
            }
        }
        switch result {
        case .success(let body):
            return Self.response(status: .ok, body: body, request: request)
        case .failure(let error):
            return Self.response(error, request: request)
        }
    }

    private func deviceCode(_ form: [String: String], linkBase: String) -> Result<[UInt8], IdentityError> {
        guard let clientID = form["client_id"], !clientID.isEmpty else { return .failure(.missingParameter("client_id")) }
        guard let scope = form["scope"], !scope.isEmpty else { return .failure(.missingParameter("scope")) }
        let device = identity.startDeviceAuthorization(clientID: clientID, scope: scope)
        let lifetime = Int(identity.configuration.deviceCodeLifetime.seconds.rounded(.down))
        // Signing in happens on the emulator's own page rather than microsoft.com.
        let verificationURI = "\(linkBase)/_emulator/devicelogin"
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.field("user_code", device.userCode)
        json.field("device_code", device.deviceCode)
        json.field("verification_uri", verificationURI)
        json.field("expires_in", lifetime)
        json.field("interval", device.interval)
        json.field(
            "message",
            "To sign in, use a web browser to open the page \(verificationURI) and enter the code \(device.userCode) to authenticate.")
        json.endObject()
        return .success(json.bytes)
    }

    private func token(_ form: [String: String]) -> Result<[UInt8], IdentityError> {
        guard let grantType = form["grant_type"], !grantType.isEmpty else { return .failure(.missingParameter("grant_type")) }
        guard let clientID = form["client_id"], !clientID.isEmpty else { return .failure(.missingParameter("client_id")) }
        let issued: Result<IdentityPlatform.IssuedTokens, IdentityError>
        switch grantType {
        case Self.deviceCodeGrant, "device_code":
            guard let code = form["device_code"] ?? form["code"], !code.isEmpty else {
                return .failure(.missingParameter("device_code"))
            }
            issued = identity.redeem(deviceCode: code, clientID: clientID)
        case "refresh_token":
            guard let token = form["refresh_token"], !token.isEmpty else { return .failure(.missingParameter("refresh_token")) }
            issued = identity.refresh(token: token, clientID: clientID, scope: form["scope"])
        default:
            return .failure(IdentityError(
                error: "unsupported_grant_type", code: 70003, description: "The app requested an unsupported grant type '\(grantType)'."))
        }
        return issued.map { tokens in
            var json = JSONWriter(capacity: 2048)
            json.beginObject()
            json.field("token_type", "Bearer")
            json.field("scope", tokens.scope)
            json.field("expires_in", tokens.expiresIn)
            json.field("access_token", tokens.accessToken)
            if let refresh = tokens.refreshToken { json.field("refresh_token", refresh) }
            if let id = tokens.idToken { json.field("id_token", id) }
            json.endObject()
            return json.bytes
        }
    }

    /// The parameters of an `application/x-www-form-urlencoded` body; any other body has none.
    static func form(of request: Request) async -> [String: String] {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded"),
              let buffer = try? await request.body.collect(upTo: 1 << 20)
        else { return [:] }
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { continue }
            result[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return result
    }

    /// A status the fault schedule answers with instead of the identity platform.
    static func injectedFailure(status: Int, retryAfter: String?, request: Request) -> Response {
        let error = IdentityError(
            error: status == 429 || status >= 500 ? "temporarily_unavailable" : "invalid_request", code: nil,
            description: "The emulator's fault schedule answered this request with \(status).",
            status: HTTPResponse.Status(code: status))
        var response = response(error, request: request)
        if let retryAfter { response.headers[HeaderName("Retry-After")!] = retryAfter }
        return response
    }

    static func response(_ error: IdentityError, request: Request) -> Response {
        let traceID = UUID().uuidString.lowercased()
        let correlationID = request.headers[GraphResponder.clientRequestIDName] ?? UUID().uuidString.lowercased()
        return response(
            status: error.status, body: error.body(traceID: traceID, correlationID: correlationID, date: Date()),
            request: request, traceID: traceID)
    }

    static func response(status: HTTPResponse.Status, body: [UInt8], request: Request, traceID: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store, no-cache"
        headers[HeaderName("Pragma")!] = "no-cache"
        headers[HeaderName("x-ms-request-id")!] = traceID ?? UUID().uuidString.lowercased()
        if let clientRequestID = request.headers[GraphResponder.clientRequestIDName] {
            headers[GraphResponder.clientRequestIDName] = clientRequestID
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
