import Foundation
import GraphEmulator
import Testing

@Suite("Authentication, users and the error envelope")
struct AuthAndErrorTests {
    @Test("A request without a token gets 401 InvalidAuthenticationToken with a challenge")
    func missingToken() async throws {
        try await withEmulator(messages: 20) { emulator in
            let response = try await emulator.get("/v1.0/me/messages", token: nil)
            #expect(response.status == 401)
            #expect(try response.errorCode() == "InvalidAuthenticationToken")
            let challenge = try #require(response.header("WWW-Authenticate"))
            #expect(challenge.hasPrefix("Bearer "))
            #expect(challenge.contains("authorization_uri="))
        }
    }

    @Test("A wrong token gets 401, and so does a non-Bearer scheme")
    func wrongToken() async throws {
        try await withEmulator(messages: 20) { emulator in
            let wrong = try await emulator.get("/v1.0/me", token: "not-the-token")
            #expect(wrong.status == 401)
            #expect(try wrong.errorCode() == "InvalidAuthenticationToken")
            #expect(wrong.header("WWW-Authenticate") != nil)
            let basic = try await emulator.get("/beta/me", token: nil, headers: ["Authorization": "Basic \(Emulator.token)"])
            #expect(basic.status == 401)
        }
    }

    @Test("Errors use Graph's envelope; request-id is fresh, client-request-id is echoed")
    func errorEnvelope() async throws {
        try await withEmulator(messages: 20) { emulator in
            let response = try await emulator.get(
                "/v1.0/me/messages/AAMkADunknownmessageidAAA=", headers: ["client-request-id": "my-correlation-id"])
            #expect(response.status == 404)
            let error = try #require(try response.json()["error"] as? [String: Any])
            #expect(error["code"] as? String == "ErrorItemNotFound")
            #expect((error["message"] as? String)?.isEmpty == false)
            let inner = try #require(error["innerError"] as? [String: Any])
            let requestID = try #require(response.header("request-id"))
            #expect(UUID(uuidString: requestID) != nil)
            #expect(inner["request-id"] as? String == requestID)
            #expect(inner["client-request-id"] as? String == "my-correlation-id")
            #expect(response.header("client-request-id") == "my-correlation-id")
            let date = try #require(inner["date"] as? String)
            #expect(date.count == 19 && date.contains("T"))
            #expect(response.header("Content-Type")?.hasPrefix("application/json;odata.metadata=minimal") == true)

            let other = try await emulator.get("/v1.0/me")
            #expect(other.header("request-id") != requestID)
            // Without a client-request-id, Graph repeats its request-id there.
            #expect(other.header("client-request-id") == other.header("request-id"))
        }
    }

    @Test("GET /me and /users/{id or UPN} return the owner under v1.0 and beta")
    func me() async throws {
        let mailbox = Mailbox(messageCount: 20, seed: 3)
        try await withEmulator(mailbox: mailbox) { emulator in
            let owner = mailbox.owner
            for path in ["/v1.0/me", "/beta/me", "/v1.0/users/\(owner.id)", "/v1.0/users/\(encoded(owner.address.uppercased()))"] {
                let response = try await emulator.get(path)
                #expect(response.status == 200, "\(path)")
                let json = try response.json()
                #expect(json["id"] as? String == owner.id)
                #expect(json["displayName"] as? String == "Alex Morgan")
                #expect(json["mail"] as? String == "alex.morgan@contoso.com")
                #expect(json["userPrincipalName"] as? String == "alex.morgan@contoso.com")
                #expect((json["@odata.context"] as? String)?.hasSuffix("$metadata#users/$entity") == true)
            }
            let selected = try await emulator.get("/v1.0/me?$select=displayName")
            #expect(Set(try selected.json().keys) == ["@odata.context", "displayName", "id"])
        }
    }

    @Test("Another user's mailbox is not served")
    func otherUser() async throws {
        try await withEmulator(messages: 20) { emulator in
            let user = try await emulator.get("/v1.0/users/someone.else@contoso.com")
            #expect(user.status == 404)
            #expect(try user.errorCode() == "ErrorItemNotFound")
            let mail = try await emulator.get("/v1.0/users/someone.else@contoso.com/mailFolders")
            #expect(mail.status == 404)
            #expect(try mail.errorCode() == "MailboxNotEnabledForRESTAPI")
        }
    }

    @Test("Unknown segments, versions, methods and query options are rejected, not ignored")
    func rejections() async throws {
        try await withEmulator(messages: 20) { emulator in
            let segment = try await emulator.get("/v1.0/me/calendars")
            #expect(segment.status == 400)
            #expect(try segment.errorCode() == "BadRequest")
            let version = try await emulator.get("/v2.0/me")
            #expect(version.status == 404)
            let put = try await emulator.send("PUT", "/v1.0/me/messages")
            #expect(put.status == 405)
            let expand = try await emulator.get("/v1.0/me/messages?$expand=extensions")
            #expect(expand.status == 400)
            let duplicate = try await emulator.get("/v1.0/me/messages?$top=1&$TOP=2")
            #expect(duplicate.status == 400)
            let top = try await emulator.get("/v1.0/me/messages?$top=1001")
            #expect(top.status == 400)
        }
    }
}
