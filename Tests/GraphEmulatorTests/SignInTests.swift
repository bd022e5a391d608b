import Foundation
import GraphEmulator
import Testing

@Suite("Sign-in: device code, tokens and refresh")
struct SignInTests {
    static let clientID = "0d6a4b5e-1b4e-4c8e-9a8e-5f2c6e3d7a10"
    static let scope = "offline_access openid https://graph.microsoft.com/Mail.ReadWrite User.Read"

    /// Starts a device authorization; returns its JSON.
    static func start(_ emulator: Emulator, scope: String = scope, tenant: String = "common") async throws -> [String: Any] {
        let response = try await emulator.postForm(
            "/\(tenant)/oauth2/v2.0/devicecode", [("client_id", clientID), ("scope", scope)])
        try #require(response.status == 200, "devicecode answered \(response.status): \(response.text)")
        return try response.json()
    }

    static func poll(_ emulator: Emulator, _ deviceCode: String, clientID: String = clientID) async throws -> TestResponse {
        try await emulator.postForm(
            "/common/oauth2/v2.0/token",
            [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", clientID), ("device_code", deviceCode)])
    }

    static func refresh(_ emulator: Emulator, _ refreshToken: String, clientID: String = clientID) async throws -> TestResponse {
        try await emulator.postForm(
            "/organizations/oauth2/v2.0/token",
            [("grant_type", "refresh_token"), ("client_id", clientID), ("refresh_token", refreshToken)])
    }

    /// The whole flow: start, approve through the control surface, redeem.
    static func signIn(_ emulator: Emulator, scope: String = scope) async throws -> [String: Any] {
        let device = try await start(emulator, scope: scope)
        let userCode = try #require(device["user_code"] as? String)
        try await emulator.controlJSON("POST", "/devicecode/approve", json: ["user_code": userCode])
        let response = try await poll(emulator, try #require(device["device_code"] as? String))
        try #require(response.status == 200, "token answered \(response.status): \(response.text)")
        return try response.json()
    }

    /// The identity platform's error envelope; returns `error`.
    static func identityError(_ response: TestResponse, code: Int?) throws -> String? {
        #expect(response.status == 400)
        let json = try response.json()
        let description = try #require(json["error_description"] as? String)
        #expect(json["error_codes"] as? [Int] == code.map { [$0] } ?? [])
        if let code { #expect(description.hasPrefix("AADSTS\(code): ")) }
        #expect(description.contains("\r\nTrace ID: \(try #require(json["trace_id"] as? String))"))
        #expect(description.contains("\r\nCorrelation ID: \(try #require(json["correlation_id"] as? String))"))
        let timestamp = try #require(json["timestamp"] as? String)
        #expect(timestamp.count == 20 && timestamp.hasSuffix("Z") && timestamp.contains(" "), "\(timestamp)")
        return json["error"] as? String
    }

    @Test("Device code: pending until approved, then tokens that open the mailbox; a code is redeemed once")
    func deviceCodeFlow() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let device = try await Self.start(emulator)
            let userCode = try #require(device["user_code"] as? String)
            let deviceCode = try #require(device["device_code"] as? String)
            let verification = try #require(device["verification_uri"] as? String)
            #expect(userCode.count == 8 && userCode == userCode.uppercased())
            #expect(deviceCode.count > 40)
            #expect(verification == emulator.baseURL.absoluteString + "/_emulator/devicelogin")
            #expect(device["expires_in"] as? Int == 900)
            #expect(device["interval"] as? Int == 0)
            let message = try #require(device["message"] as? String)
            #expect(message.contains(verification) && message.contains(userCode))
            #expect(device["verification_uri_complete"] == nil)

            let pending = try await Self.poll(emulator, deviceCode)
            #expect(try Self.identityError(pending, code: 70016) == "authorization_pending")
            let listed = try #require(try await emulator.controlJSON("GET", "/devicecode")["value"] as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(listed.first?["user_code"] as? String == userCode)
            #expect(listed.first?["status"] as? String == "pending")
            #expect(listed.first?["client_id"] as? String == Self.clientID)

            let approved = try await emulator.controlJSON("POST", "/devicecode/approve", json: ["user_code": userCode.lowercased()])
            #expect(approved["status"] as? String == "approved")
            let granted = try await Self.poll(emulator, deviceCode)
            #expect(granted.status == 200)
            let tokens = try granted.json()
            #expect(tokens["token_type"] as? String == "Bearer")
            #expect(tokens["expires_in"] as? Int == 3599)
            // The Graph resource prefix is dropped and offline_access is not a granted scope.
            #expect(tokens["scope"] as? String == "openid Mail.ReadWrite User.Read")
            let accessToken = try #require(tokens["access_token"] as? String)
            #expect(accessToken.split(separator: ".").count == 3)
            #expect(tokens["refresh_token"] is String)
            #expect(tokens["id_token"] is String)

            let me = try await emulator.get("/v1.0/me", token: accessToken)
            #expect(me.status == 200)
            #expect(try me.json()["mail"] as? String == emulator.mailbox.owner.address)

            let again = try await Self.poll(emulator, deviceCode)
            #expect(try Self.identityError(again, code: 54005) == "invalid_grant")
            let remaining = try #require(try await emulator.controlJSON("GET", "/devicecode")["value"] as? [Any])
            #expect(remaining.isEmpty)
        }
    }

    @Test("Polling faster than the interval answers slow_down and adds 5 seconds to the interval")
    func slowDown() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 60 }) { emulator in
            let device = try await Self.start(emulator)
            #expect(device["interval"] as? Int == 60)
            let deviceCode = try #require(device["device_code"] as? String)
            #expect(try Self.identityError(try await Self.poll(emulator, deviceCode), code: 70016) == "authorization_pending")
            #expect(try Self.identityError(try await Self.poll(emulator, deviceCode), code: nil) == "slow_down")
            let listed = try #require(try await emulator.controlJSON("GET", "/devicecode")["value"] as? [[String: Any]])
            #expect(listed.first?["interval"] as? Int == 65)
            // Still too fast, and now even more so.
            #expect(try Self.identityError(try await Self.poll(emulator, deviceCode), code: nil) == "slow_down")
        }
    }

    @Test("A declined sign-in answers authorization_declined for good")
    func declined() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let device = try await Self.start(emulator)
            let userCode = try #require(device["user_code"] as? String)
            let deviceCode = try #require(device["device_code"] as? String)
            let declined = try await emulator.controlJSON("POST", "/devicecode/decline", json: ["user_code": userCode])
            #expect(declined["status"] as? String == "declined")
            for _ in 0..<2 {
                #expect(try Self.identityError(try await Self.poll(emulator, deviceCode), code: 65004) == "authorization_declined")
            }
            let late = try await emulator.control("POST", "/devicecode/approve", json: ["user_code": userCode])
            #expect(late.status == 409)
            let unknown = try await emulator.control("POST", "/devicecode/approve", json: ["user_code": "ZZZZ9999"])
            #expect(unknown.status == 404)
        }
    }

    @Test("An expired device code answers expired_token, whether it timed out or was expired on purpose")
    func expiredDeviceCode() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let device = try await Self.start(emulator)
            let deviceCode = try #require(device["device_code"] as? String)
            let expired = try await emulator.controlJSON("POST", "/expire", json: ["deviceCodes": true])
            #expect((expired["expired"] as? [String: Any])?["deviceCodes"] as? Int == 1)
            #expect(try Self.identityError(try await Self.poll(emulator, deviceCode), code: 70019) == "expired_token")
            let late = try await emulator.control("POST", "/devicecode/approve", json: ["user_code": device["user_code"] as? String ?? ""])
            #expect(late.status == 409)
        }
        try await withControlledEmulator(configure: { $0.identity.deviceCodeLifetime = .zero }) { emulator in
            let device = try await Self.start(emulator)
            #expect(device["expires_in"] as? Int == 0)
            let poll = try await Self.poll(emulator, try #require(device["device_code"] as? String))
            #expect(try Self.identityError(poll, code: 70019) == "expired_token")
        }
    }

    @Test("Refresh rotates: each refresh token works once, the old one then answers invalid_grant")
    func refreshRotation() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let first = try await Self.signIn(emulator)
            let firstRefresh = try #require(first["refresh_token"] as? String)
            let refreshed = try await Self.refresh(emulator, firstRefresh)
            #expect(refreshed.status == 200)
            let second = try refreshed.json()
            let secondRefresh = try #require(second["refresh_token"] as? String)
            let secondAccess = try #require(second["access_token"] as? String)
            #expect(secondRefresh != firstRefresh)
            #expect(secondAccess != first["access_token"] as? String)
            #expect(second["scope"] as? String == "openid Mail.ReadWrite User.Read")
            #expect(try await emulator.get("/v1.0/me", token: secondAccess).status == 200)

            let reused = try await Self.refresh(emulator, firstRefresh)
            #expect(try Self.identityError(reused, code: 70000) == "invalid_grant")
            let otherClient = try await Self.refresh(emulator, secondRefresh, clientID: "another-client")
            #expect(try Self.identityError(otherClient, code: 70000) == "invalid_grant")
            // A failed attempt by another client did not spend the token.
            let third = try await Self.refresh(emulator, secondRefresh)
            #expect(third.status == 200)

            // Revoked refresh tokens send the client back to the device flow.
            let thirdRefresh = try #require(try third.json()["refresh_token"] as? String)
            let revoked = try await emulator.controlJSON("POST", "/expire", json: ["refreshTokens": true])
            #expect((revoked["expired"] as? [String: Any])?["refreshTokens"] as? Int == 1)
            #expect(try Self.identityError(try await Self.refresh(emulator, thirdRefresh), code: 70000) == "invalid_grant")
        }
    }

    @Test("Without offline_access there is no refresh token, without openid no id token")
    func scopesDecideTokens() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let tokens = try await Self.signIn(emulator, scope: "Mail.Read")
            #expect(tokens["refresh_token"] == nil)
            #expect(tokens["id_token"] == nil)
            #expect(tokens["scope"] as? String == "Mail.Read")
        }
    }

    @Test("Expired access tokens get 401 InvalidAuthenticationToken with a challenge; --token ones never expire")
    func expiredAccessToken() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let token = try #require(try await Self.signIn(emulator)["access_token"] as? String)
            #expect(try await emulator.get("/v1.0/me/messages?$top=1", token: token).status == 200)
            let expired = try await emulator.controlJSON("POST", "/expire", json: ["accessTokens": true])
            #expect((expired["expired"] as? [String: Any])?["accessTokens"] as? Int == 1)
            for path in ["/v1.0/me/messages?$top=1", "/beta/me", "/v1.0/me/mailFolders/inbox/messages/delta"] {
                let response = try await emulator.get(path, token: token)
                #expect(response.status == 401, "\(path)")
                #expect(try response.errorCode() == "InvalidAuthenticationToken")
                let error = try #require(try response.json()["error"] as? [String: Any])
                #expect(error["message"] as? String == "Access token has expired or is not yet valid.")
                #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer realm=\"\"") == true)
            }
            #expect(try await emulator.get("/v1.0/me").status == 200)
        }
        try await withControlledEmulator(configure: {
            $0.identity.pollingInterval = 0
            $0.identity.accessTokenLifetime = .zero
        }) { emulator in
            let tokens = try await Self.signIn(emulator)
            #expect(tokens["expires_in"] as? Int == 0)
            let response = try await emulator.get("/v1.0/me", token: try #require(tokens["access_token"] as? String))
            #expect(response.status == 401)
            #expect(try response.errorCode() == "InvalidAuthenticationToken")
        }
    }

    @Test("Token endpoint errors: method, missing parameters, unknown grant, unknown device code, JSON body")
    func tokenEndpointErrors() async throws {
        try await withControlledEmulator { emulator in
            let get = try await emulator.exchange("GET", "/common/oauth2/v2.0/token")
            #expect(try Self.identityError(get, code: 900561) == "invalid_request")
            let noClient = try await emulator.postForm("/common/oauth2/v2.0/devicecode", [("scope", "Mail.Read")])
            #expect(try Self.identityError(noClient, code: 900144) == "invalid_request")
            #expect(try noClient.json()["error_description"].map { "\($0)" }?.contains("'client_id'") == true)
            let noScope = try await emulator.postForm("/common/oauth2/v2.0/devicecode", [("client_id", Self.clientID)])
            #expect(try Self.identityError(noScope, code: 900144) == "invalid_request")
            let grant = try await emulator.postForm(
                "/common/oauth2/v2.0/token", [("grant_type", "password"), ("client_id", Self.clientID)])
            #expect(try Self.identityError(grant, code: 70003) == "unsupported_grant_type")
            let unknown = try await Self.poll(emulator, "DAQABIQEAAABnotacode")
            #expect(try Self.identityError(unknown, code: 70018) == "bad_verification_code")
            let json = try await emulator.exchange(
                "POST", "/common/oauth2/v2.0/token",
                body: Array(#"{"grant_type":"refresh_token","client_id":"x","refresh_token":"y"}"#.utf8),
                contentType: "application/json")
            #expect(try Self.identityError(json, code: 900144) == "invalid_request")
            // The correlation id is the caller's client-request-id when it sends one.
            let correlated = try await emulator.postForm(
                "/common/oauth2/v2.0/token", [("grant_type", "refresh_token")], headers: ["client-request-id": "abc-123"])
            #expect(try correlated.json()["correlation_id"] as? String == "abc-123")
            #expect(correlated.header("Cache-Control")?.contains("no-store") == true)
            let otherEndpoint = try await emulator.postForm("/common/oauth2/v2.0/authorize", [])
            #expect(otherEndpoint.status == 404)
        }
    }

    @Test("The verification page signs in through a form")
    func verificationPage() async throws {
        try await withControlledEmulator(configure: { $0.identity.pollingInterval = 0 }) { emulator in
            let page = try await emulator.exchange("GET", "/_emulator/devicelogin")
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"action="/_emulator/devicecode/approve""#))
            let device = try await Self.start(emulator)
            let userCode = try #require(device["user_code"] as? String)
            let submitted = try await emulator.postForm("/_emulator/devicecode/approve", [("user_code", userCode)])
            #expect(submitted.status == 200)
            #expect(submitted.text.contains("signed in"))
            #expect(try await Self.poll(emulator, try #require(device["device_code"] as? String)).status == 200)
        }
    }
}
