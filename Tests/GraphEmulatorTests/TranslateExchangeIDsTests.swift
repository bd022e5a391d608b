import Foundation
import GraphEmulator
import Testing

@Suite("translateExchangeIds")
struct TranslateExchangeIDsTests {
    static let formats = ["entryId", "ewsId", "immutableEntryId", "restId", "restImmutableEntryId"]

    /// `(sourceId, targetId?, errorDetails.code?)` of each result.
    static func translate(
        _ emulator: Emulator, _ ids: [String], from source: String, to target: String, path: String = "/v1.0/me/translateExchangeIds"
    ) async throws -> [(source: String, target: String?, error: String?)] {
        let response = try await emulator.sendJSON("POST", path, ["inputIds": ids, "sourceIdType": source, "targetIdType": target])
        try #require(response.status == 200, "translate answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        #expect((try response.json()["@odata.context"] as? String)?.hasSuffix("#Collection(microsoft.graph.convertIdResult)") == true)
        return try response.items().map { item in
            (item["sourceId"] as? String ?? "", item["targetId"] as? String,
             (item["errorDetails"] as? [String: Any])?["code"] as? String)
        }
    }

    @Test("restId and restImmutableEntryId round-trip with the ids the emulator serves, across a move")
    func restRoundTrip() async throws {
        let mailbox = Mailbox(messageCount: 100, seed: 17)
        let snapshot = await mailbox.snapshot()
        let messages = Array(snapshot.messages.prefix(5))
        try await withEmulator(mailbox: mailbox) { emulator in
            let toImmutable = try await Self.translate(emulator, messages.map(\.id), from: "restId", to: "restImmutableEntryId")
            #expect(toImmutable.map(\.source) == messages.map(\.id))
            #expect(toImmutable.map(\.target) == messages.map(\.immutableID))
            let back = try await Self.translate(emulator, messages.map(\.immutableID), from: "restImmutableEntryId", to: "restId")
            #expect(back.map(\.target) == messages.map(\.id))

            // After a move the immutable id names the new regular id; the old regular id is gone.
            let moved = try await mailbox.move(id: messages[0].id, to: "archive")
            let afterMove = try await Self.translate(
                emulator, [messages[0].immutableID], from: "restImmutableEntryId", to: "restId", path: "/v1.0/users/alex.morgan@contoso.com/microsoft.graph.translateExchangeIds")
            #expect(afterMove.first?.target == moved.id)
            let stale = try await Self.translate(emulator, [messages[0].id], from: "restId", to: "restImmutableEntryId")
            #expect(stale.first?.target == nil && stale.first?.error == "ErrorItemNotFound")

            // Through translation, a served immutable id reads the same message.
            let viaImmutable = try await emulator.message(try #require(back.last?.target))
            #expect(viaImmutable?["subject"] as? String == messages[4].subject)
        }
    }

    @Test("Every format pair round-trips for messages and folders; binary formats use Graph's URL-safe base64")
    func allFormats() async throws {
        let mailbox = Mailbox(messageCount: 60, seed: 18)
        let snapshot = await mailbox.snapshot()
        let message = snapshot.messages[0]
        let folder = try #require(snapshot.folder(wellKnownName: "inbox"))
        try await withEmulator(mailbox: mailbox) { emulator in
            for (restID, immutableID) in [(message.id, message.immutableID), (folder.id, folder.id)] {
                var forms: [String: String] = ["restId": restID]
                for target in Self.formats where target != "restId" {
                    let result = try await Self.translate(emulator, [restID], from: "restId", to: target)
                    forms[target] = try #require(result.first?.target, "restId → \(target)")
                }
                #expect(forms["restImmutableEntryId"] == immutableID)
                for binary in ["entryId", "immutableEntryId"] {
                    let text = try #require(forms[binary])
                    // URL-safe alphabet, no padding, and a final digit counting the removed padding.
                    #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"), "\(binary): \(text)")
                    let padding = try #require(text.last?.wholeNumberValue)
                    #expect((0...2).contains(padding))
                    var standard = String(text.dropLast()).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                    standard += String(repeating: "=", count: padding)
                    #expect(Data(base64Encoded: standard) != nil, "\(binary) is not base64: \(text)")
                }
                let ews = try #require(forms["ewsId"])
                #expect(!ews.contains("-") && !ews.contains("_"))
                #expect(ews.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "+", with: "_") == restID)
                for source in Self.formats {
                    for target in Self.formats {
                        let result = try await Self.translate(emulator, [forms[source]!], from: source, to: target)
                        #expect(result.first?.target == forms[target], "\(source) → \(target)")
                    }
                }
            }
        }
    }

    @Test("Limits and errors: 1000 ids at most, unknown and malformed ids get errorDetails, types are validated")
    func limits() async throws {
        let mailbox = Mailbox(messageCount: 60, seed: 19)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let known = snapshot.messages[0].id
            let unknown = String(known.dropLast(10)) + "AAAAAAAAA="
            let results = try await Self.translate(
                emulator, [known, unknown, "not an id!", snapshot.messages[0].immutableID], from: "restId", to: "restImmutableEntryId")
            #expect(results.map(\.source) == [known, unknown, "not an id!", snapshot.messages[0].immutableID])
            #expect(results[0].target == snapshot.messages[0].immutableID && results[0].error == nil)
            #expect(results[1].target == nil && results[1].error == "ErrorItemNotFound")
            #expect(results[2].target == nil && results[2].error == "ErrorInvalidIdMalformed")
            // An immutable id is not a restId.
            #expect(results[3].target == nil && results[3].error != nil)
            #expect(try await Self.translate(emulator, ["AAAA%%%1"], from: "entryId", to: "restId").first?.error == "ErrorInvalidIdMalformed")

            let thousand = Array(repeating: known, count: 1000)
            #expect(try await Self.translate(emulator, thousand, from: "restId", to: "ewsId").count == 1000)
            let tooMany = try await emulator.sendJSON("POST", "/v1.0/me/translateExchangeIds", [
                "inputIds": thousand + [known], "sourceIdType": "restId", "targetIdType": "ewsId",
            ])
            #expect(tooMany.status == 400)
            for body: [String: Any] in [
                ["sourceIdType": "restId", "targetIdType": "ewsId"],
                ["inputIds": [known], "sourceIdType": "restid2", "targetIdType": "ewsId"],
                ["inputIds": [known], "sourceIdType": "restId"],
                ["inputIds": "one", "sourceIdType": "restId", "targetIdType": "ewsId"],
            ] {
                #expect(try await emulator.sendJSON("POST", "/v1.0/me/translateExchangeIds", body).status == 400, "\(body)")
            }
            // Parameter names in Pascal case, as the metadata declares them.
            let pascal = try await emulator.sendJSON("POST", "/v1.0/me/translateExchangeIds", [
                "InputIds": [known], "SourceIdType": "RestId", "TargetIdType": "RestImmutableEntryId",
            ])
            #expect(try pascal.items().first?["targetId"] as? String == snapshot.messages[0].immutableID)
            #expect(try await emulator.get("/v1.0/me/translateExchangeIds").status == 405)
        }
    }
}
