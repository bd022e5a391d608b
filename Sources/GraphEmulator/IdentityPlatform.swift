import Foundation
import Hummingbird

/// Settings of the emulated Microsoft identity platform (GRAPH.md §11).
public struct IdentityConfiguration: Sendable, Equatable {
    /// `expires_in` of issued access tokens; Microsoft's sample answer says 3599 seconds.
    public var accessTokenLifetime: Duration
    /// How long a device code can be redeemed: "the user has 15 minutes to sign in".
    public var deviceCodeLifetime: Duration
    /// The `interval` (seconds) a client must wait between polls; polling sooner answers
    /// `slow_down`. Zero never answers `slow_down`.
    public var pollingInterval: Int

    public init(accessTokenLifetime: Duration = .seconds(3599), deviceCodeLifetime: Duration = .seconds(900), pollingInterval: Int = 5) {
        self.accessTokenLifetime = accessTokenLifetime
        self.deviceCodeLifetime = deviceCodeLifetime
        self.pollingInterval = pollingInterval
    }
}

/// An error of the token endpoint, in the identity platform's envelope
/// (`{"error","error_description","error_codes","timestamp","trace_id","correlation_id"}`).
struct IdentityError: Error, Equatable {
    var error: String
    /// The AADSTS number; nil when Microsoft documents none (`slow_down`, injected faults).
    var code: Int?
    var description: String
    var status: HTTPResponse.Status = .badRequest

    static func missingParameter(_ name: String) -> IdentityError {
        IdentityError(
            error: "invalid_request", code: 900144,
            description: "The request body must contain the following parameter: '\(name)'.")
    }

    static let pending = IdentityError(
        error: "authorization_pending", code: 70016,
        description: "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
    static let slowDown = IdentityError(
        error: "slow_down", code: nil,
        description: "The client is polling too quickly; wait at least the returned interval, now increased by 5 seconds.")
    static let declined = IdentityError(
        error: "authorization_declined", code: 65004, description: "The user declined the authorization request.")
    static let expired = IdentityError(
        error: "expired_token", code: 70019, description: "Verification code expired. Have the user retry the sign-in.")
    static let badVerificationCode = IdentityError(
        error: "bad_verification_code", code: 70018, description: "The provided device code was not recognized.")
    static let redeemed = IdentityError(
        error: "invalid_grant", code: 54005, description: "OAuth2 Authorization code was already redeemed, please retry with a new valid code.")
    static let invalidRefreshToken = IdentityError(
        error: "invalid_grant", code: 70000,
        description: "The provided value for the 'refresh_token' is not valid: it is unknown, was revoked, or was already exchanged for a newer one.")
    static let clientMismatch = IdentityError(
        error: "invalid_grant", code: 70000, description: "The grant was issued to another client_id.")

    func body(traceID: String, correlationID: String, date: Date) -> [UInt8] {
        let stamp = IdentityPlatform.timestamp(date)
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.field("error", error)
        let prefix = code.map { "AADSTS\($0): " } ?? ""
        json.field(
            "error_description",
            "\(prefix)\(description)\r\nTrace ID: \(traceID)\r\nCorrelation ID: \(correlationID)\r\nTimestamp: \(stamp)")
        json.key("error_codes")
        json.beginArray()
        if let code { json.int(code) }
        json.endArray()
        json.field("timestamp", stamp)
        json.field("trace_id", traceID)
        json.field("correlation_id", correlationID)
        json.endObject()
        return json.bytes
    }
}

/// The emulated sign-in state: device authorizations, access tokens and refresh tokens.
///
/// Tokens are opaque random strings as far as the emulator is concerned; access and ID
/// tokens are shaped like JWTs (unsigned) so that a client that peeks at claims finds them.
final class IdentityPlatform: Sendable {
    enum TokenStatus: Equatable {
        case valid, expired, unknown
    }

    struct Grant: Sendable, Equatable {
        var clientID: String
        /// As requested, with the Graph resource prefix removed.
        var scopes: [String]
    }

    struct DeviceAuthorization: Sendable {
        enum Status: String, Sendable {
            case pending, approved, declined, redeemed
        }

        var deviceCode: String
        var userCode: String
        var grant: Grant
        var status: Status
        var expires: ContinuousClock.Instant
        /// Seconds; grows by 5 with each `slow_down` (RFC 8628 §3.5).
        var interval: Int
        var lastPoll: ContinuousClock.Instant?
    }

    /// What a successful token request hands out.
    struct IssuedTokens: Sendable {
        var accessToken: String
        var refreshToken: String?
        var idToken: String?
        var scope: String
        var expiresIn: Int
    }

    private struct State: Sendable {
        var configuration: IdentityConfiguration
        /// Issued access tokens and when each expires.
        var accessTokens: [String: ContinuousClock.Instant] = [:]
        var refreshTokens: [String: Grant] = [:]
        var devices: [String: DeviceAuthorization] = [:]
        var deviceCodeByUserCode: [String: String] = [:]
    }

    let owner: MailboxOwner
    /// Tokens given on the command line or to the server's initializer: valid until the server ends.
    let staticTokens: Set<String>
    private let state: Locked<State>
    private let tenantID: String

    init(owner: MailboxOwner, staticTokens: Set<String>, configuration: IdentityConfiguration) {
        self.owner = owner
        self.staticTokens = staticTokens
        self.state = Locked(State(configuration: configuration))
        self.tenantID = GraphID.guid(seed: StableHash.string(owner.address, seed: 0x7E4A))
    }

    var configuration: IdentityConfiguration { state.withLock { $0.configuration } }

    // MARK: - Access tokens

    /// Checks an `Authorization` header value (`Bearer …`).
    func check(authorization header: String?) -> TokenStatus {
        guard let header else { return .unknown }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .unknown }
        return check(accessToken: parts[1].trimmingCharacters(in: .whitespaces))
    }

    func check(accessToken token: String) -> TokenStatus {
        if staticTokens.contains(token) { return .valid }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let expiry = state.accessTokens[token] else { return .unknown }
            return now < expiry ? .valid : .expired
        }
    }

    /// Every issued access token expires now (`--token` ones excepted); returns how many were live.
    @discardableResult
    func expireAccessTokens() -> Int {
        let now = ContinuousClock.now
        return state.withLock { state in
            var live = 0
            for (token, expiry) in state.accessTokens where expiry > now {
                state.accessTokens[token] = now
                live += 1
            }
            return live
        }
    }

    @discardableResult
    func revokeRefreshTokens() -> Int {
        state.withLock { state in
            defer { state.refreshTokens.removeAll() }
            return state.refreshTokens.count
        }
    }

    /// Every device code not yet redeemed expires now.
    @discardableResult
    func expireDeviceCodes() -> Int {
        let now = ContinuousClock.now
        return state.withLock { state in
            var count = 0
            for (code, device) in state.devices where device.status != .redeemed && device.expires > now {
                state.devices[code]?.expires = now
                count += 1
            }
            return count
        }
    }

    // MARK: - Device authorization grant

    func startDeviceAuthorization(clientID: String, scope: String) -> DeviceAuthorization {
        let now = ContinuousClock.now
        return state.withLock { state in
            var userCode = Self.userCode()
            while state.deviceCodeByUserCode[userCode] != nil { userCode = Self.userCode() }
            let device = DeviceAuthorization(
                deviceCode: "DAQABIQEAAAB" + Self.randomToken(bytes: 96), userCode: userCode,
                grant: Grant(clientID: clientID, scopes: Self.normalizedScopes(scope)), status: .pending,
                expires: now + state.configuration.deviceCodeLifetime,
                interval: max(0, state.configuration.pollingInterval), lastPoll: nil)
            state.devices[device.deviceCode] = device
            state.deviceCodeByUserCode[userCode] = device.deviceCode
            return device
        }
    }

    enum Decision: Equatable {
        case done(DeviceAuthorization.Status)
        case unknownCode
        /// Too late: expired, or already redeemed or decided otherwise.
        case notPending(String)
    }

    /// The user's answer on the verification page (here: the control surface).
    func decide(userCode: String, approve: Bool) -> Decision {
        let now = ContinuousClock.now
        let key = userCode.uppercased().replacingOccurrences(of: "-", with: "")
        return state.withLock { state in
            guard let deviceCode = state.deviceCodeByUserCode[key], var device = state.devices[deviceCode] else {
                return .unknownCode
            }
            if now >= device.expires { return .notPending("expired") }
            guard device.status == .pending else { return .notPending(device.status.rawValue) }
            device.status = approve ? .approved : .declined
            state.devices[deviceCode] = device
            return .done(device.status)
        }
    }

    /// One poll of the token endpoint with the device-code grant.
    func redeem(deviceCode: String, clientID: String) -> Result<IssuedTokens, IdentityError> {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard var device = state.devices[deviceCode] else { return .failure(.badVerificationCode) }
            guard device.grant.clientID == clientID else { return .failure(.clientMismatch) }
            if device.status == .redeemed { return .failure(.redeemed) }
            if now >= device.expires { return .failure(.expired) }
            if device.status == .declined { return .failure(.declined) }
            let previous = device.lastPoll
            device.lastPoll = now
            if device.status == .pending {
                // A small allowance keeps a client that sleeps exactly `interval` from being told off.
                if let previous, device.interval > 0, now - previous < .seconds(device.interval) - .milliseconds(250) {
                    device.interval += 5
                    state.devices[deviceCode] = device
                    return .failure(.slowDown)
                }
                state.devices[deviceCode] = device
                return .failure(.pending)
            }
            device.status = .redeemed
            state.devices[deviceCode] = device
            state.deviceCodeByUserCode[device.userCode] = nil
            return .success(issue(device.grant, in: &state, now: now))
        }
    }

    /// The refresh-token grant with rotation: the presented token is spent.
    func refresh(token: String, clientID: String, scope: String?) -> Result<IssuedTokens, IdentityError> {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard var grant = state.refreshTokens[token] else { return .failure(.invalidRefreshToken) }
            guard grant.clientID == clientID else { return .failure(.clientMismatch) }
            state.refreshTokens[token] = nil
            if let scope, !scope.isEmpty {
                // A refresh may narrow the scopes; offline_access is kept so that rotation continues.
                var scopes = Self.normalizedScopes(scope)
                if !scopes.contains(where: { $0.lowercased() == "offline_access" }) { scopes.append("offline_access") }
                grant.scopes = scopes
            }
            return .success(issue(grant, in: &state, now: now))
        }
    }

    /// Device authorizations that are not yet redeemed, oldest first, for the control surface.
    func pendingDeviceAuthorizations() -> [DeviceAuthorization] {
        state.withLock { state in
            state.devices.values.filter { $0.status != .redeemed }.sorted { $0.expires < $1.expires }
        }
    }

    private func issue(_ grant: Grant, in state: inout State, now: ContinuousClock.Instant) -> IssuedTokens {
        let lifetime = state.configuration.accessTokenLifetime
        let lifetimeSeconds = max(0, Int(lifetime.seconds.rounded(.down)))
        let issuedAt = Int(Date().timeIntervalSince1970)
        let lowered = Set(grant.scopes.map { $0.lowercased() })
        let granted = grant.scopes.filter { $0.lowercased() != "offline_access" }
        let scope = granted.joined(separator: " ")
        let accessToken = Self.jwt([
            "aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/\(tenantID)/",
            "iat": issuedAt, "nbf": issuedAt, "exp": issuedAt + lifetimeSeconds, "appid": grant.clientID,
            "name": owner.displayName, "oid": owner.id, "upn": owner.address, "scp": scope, "tid": tenantID,
            "ver": "1.0", "uti": Self.randomToken(bytes: 12),
        ])
        state.accessTokens[accessToken] = now + lifetime
        var refreshToken: String?
        if lowered.contains("offline_access") {
            let token = "1.AQ" + Self.randomToken(bytes: 180)
            state.refreshTokens[token] = grant
            refreshToken = token
        }
        var idToken: String?
        if lowered.contains("openid") {
            idToken = Self.jwt([
                "aud": grant.clientID, "iss": "https://login.microsoftonline.com/\(tenantID)/v2.0",
                "iat": issuedAt, "nbf": issuedAt, "exp": issuedAt + 3600, "name": owner.displayName,
                "oid": owner.id, "preferred_username": owner.address, "sub": Self.randomToken(bytes: 16),
                "tid": tenantID, "ver": "2.0",
            ])
        }
        return IssuedTokens(
            accessToken: accessToken, refreshToken: refreshToken, idToken: idToken, scope: scope,
            expiresIn: lifetimeSeconds)
    }

    // MARK: - Helpers

    /// Scopes as space-separated names; `https://graph.microsoft.com/Mail.Read` is `Mail.Read`.
    static func normalizedScopes(_ text: String) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for part in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            var name = String(part)
            for prefix in ["https://graph.microsoft.com/", "https://graph.microsoft.com//"]
            where name.lowercased().hasPrefix(prefix) {
                name = String(name.dropFirst(prefix.count))
            }
            if seen.insert(name.lowercased()).inserted { result.append(name) }
        }
        return result
    }

    /// `2016-01-09 02:02:12Z`, the identity platform's timestamp form.
    static func timestamp(_ date: Date) -> String {
        GraphDate.format(GraphDate.seconds(date)).replacingOccurrences(of: "T", with: " ")
    }

    /// Eight characters without look-alikes (0/O, 1/I), like `YZMYLD4K`.
    private static func userCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    static func randomToken(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return base64URL(Data(bytes))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// An unsigned JWT (`alg: none`): the emulator recognises its tokens by lookup, not signature.
    private static func jwt(_ claims: [String: any Sendable]) -> String {
        let header = #"{"alg":"none","typ":"JWT"}"#
        let payload = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data("{}".utf8)
        return base64URL(Data(header.utf8)) + "." + base64URL(payload) + "." + randomToken(bytes: 32)
    }
}
