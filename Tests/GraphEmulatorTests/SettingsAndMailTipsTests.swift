import Foundation
import GraphEmulator
import Testing

@Suite("Categories, mailbox settings and MailTips")
struct SettingsAndMailTipsTests {
    @Test("masterCategories: Outlook's presets plus the categories on messages; POST (201), PATCH colour (200), DELETE (204)")
    func categories() async throws {
        let mailbox = Mailbox(messageCount: 600, seed: 3)
        let snapshot = await mailbox.snapshot()
        try await withEmulator(mailbox: mailbox) { emulator in
            let path = "/v1.0/me/outlook/masterCategories"
            let list = try await emulator.get(path)
            #expect(list.status == 200)
            let items = try list.items()
            let names = Set(items.compactMap { $0["displayName"] as? String })
            #expect(names.isSuperset(of: Set(snapshot.messages.flatMap(\.categories))))
            #expect(names.isSuperset(of: ["Red category", "Yellow category"]))
            #expect(items.first { $0["displayName"] as? String == "Red category" }?["color"] as? String == "preset0")
            #expect(items.allSatisfy { ($0["id"] as? String)?.count == 36 })

            let created = try await emulator.sendJSON("POST", path, ["displayName": "Travel", "color": "Preset12"])
            #expect(created.status == 201)
            let id = try #require(try created.json()["id"] as? String)
            #expect(try created.json()["color"] as? String == "preset12")
            #expect(try await emulator.sendJSON("POST", path, ["displayName": "travel", "color": "preset1"]).status == 409)
            #expect(try await emulator.sendJSON("POST", path, ["displayName": "Bad", "color": "purple"]).status == 400)

            let patched = try await emulator.sendJSON("PATCH", "\(path)/\(id)", ["color": "preset2"])
            #expect(patched.status == 200)
            #expect(try patched.json()["color"] as? String == "preset2")
            #expect(try await emulator.sendJSON("PATCH", "\(path)/\(id)", ["displayName": "Trips"]).status == 400)
            #expect(try await emulator.get("\(path)/\(id)").json()["displayName"] as? String == "Travel")
            #expect(try await emulator.send("DELETE", "\(path)/\(id)").status == 204)
            #expect(try await emulator.get("\(path)/\(id)").status == 404)
            #expect(try await emulator.get(path).items().count == items.count)
        }
    }

    @Test("mailboxSettings: GET all or one; PATCH automatic replies in any enum case, answered with what changed")
    func settings() async throws {
        try await withEmulator(messages: 100, seed: 3) { emulator in
            let all = try await emulator.get("/v1.0/me/mailboxSettings")
            #expect(all.status == 200)
            let json = try all.json()
            #expect(json["timeZone"] as? String == "UTC")
            #expect((json["language"] as? [String: Any])?["locale"] as? String == "en-US")
            let replies = try #require(json["automaticRepliesSetting"] as? [String: Any])
            #expect(replies["status"] as? String == "disabled")
            #expect(json["archiveFolder"] as? String == (await emulator.mailbox.snapshot().folder(wellKnownName: "archive")?.id))
            #expect((json["workingHours"] as? [String: Any])?["daysOfWeek"] as? [String] == ["monday", "tuesday", "wednesday", "thursday", "friday"])

            let zone = try await emulator.get("/v1.0/me/mailboxSettings/timeZone").json()
            #expect(zone["value"] as? String == "UTC")
            let single = try await emulator.get("/v1.0/me/mailboxSettings/automaticRepliesSetting").json()
            #expect(single["status"] as? String == "disabled")
            #expect((single["@odata.context"] as? String)?.hasSuffix("/mailboxSettings/automaticRepliesSetting") == true)
            let selected = try await emulator.get("/v1.0/me/mailboxSettings?$select=timeZone,language").json()
            #expect(Set(selected.keys) == ["@odata.context", "timeZone", "language"])

            let patch = try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", [
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Me/mailboxSettings",
                "automaticRepliesSetting": [
                    "status": "Scheduled", "externalAudience": "ContactsOnly",
                    "scheduledStartDateTime": ["dateTime": "2026-11-18T07:00:00", "timeZone": "UTC"],
                    "scheduledEndDateTime": ["dateTime": "2026-11-28T07:00:00", "timeZone": "UTC"],
                    "internalReplyMessage": "<p>Away until the 28th.</p>",
                ],
            ])
            #expect(patch.status == 200)
            let answer = try patch.json()
            #expect(Set(answer.keys) == ["@odata.context", "automaticRepliesSetting"])
            let updated = try #require(answer["automaticRepliesSetting"] as? [String: Any])
            #expect(updated["status"] as? String == "scheduled")
            #expect(updated["externalAudience"] as? String == "contactsOnly")
            #expect((updated["scheduledStartDateTime"] as? [String: Any])?["dateTime"] as? String == "2026-11-18T07:00:00.0000000")
            #expect(updated["internalReplyMessage"] as? String == "<p>Away until the 28th.</p>")
            let settings = await emulator.mailbox.mailboxSettings()
            #expect(settings.automaticReplies.status == .scheduled)

            let other = try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", [
                "timeZone": "Pacific Standard Time", "language": ["locale": "de-DE"],
            ])
            #expect(other.status == 200)
            #expect(try other.json()["timeZone"] as? String == "Pacific Standard Time")
            #expect((try other.json()["language"] as? [String: Any])?["displayName"] as? String == "German (Germany)")

            let backwards = try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", [
                "automaticRepliesSetting": ["scheduledEndDateTime": ["dateTime": "2026-11-01T00:00:00", "timeZone": "UTC"]],
            ])
            #expect(backwards.status == 400)
            #expect(try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", ["timeZone": "Mars/Olympus"]).status == 400)
            #expect(try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", ["favouriteColour": "green"]).status == 400)
            #expect(try await emulator.sendJSON("PATCH", "/v1.0/me/mailboxSettings", [
                "automaticRepliesSetting": ["status": "sometimes"],
            ]).status == 400)
        }
    }

    @Test("getMailTips: automatic replies of absent colleagues and of the owner, full mailbox, recipient scope")
    func mailTips() async throws {
        try await withEmulator(messages: 100, seed: 3) { emulator in
            let owner = emulator.mailbox.owner.address
            let away = try #require((0..<500).map { "person\($0)@contoso.com" }.first {
                MailTipsDirectory.isOutOfOffice($0, domain: "contoso.com")
            })
            let present = try #require((0..<500).map { "person\($0)@contoso.com" }.first {
                !MailTipsDirectory.isOutOfOffice($0, domain: "contoso.com")
            })
            let external = "someone@fabrikam.com"
            let body: [String: Any] = [
                "EmailAddresses": [away, present, external, MailTipsDirectory.fullMailboxAddress, owner],
                "MailTipsOptions": "automaticReplies, mailboxFullStatus, recipientScope, maxMessageSize",
            ]
            let response = try await emulator.sendJSON("POST", "/v1.0/me/getMailTips", body)
            #expect(response.status == 200)
            #expect((try response.json()["@odata.context"] as? String)?.hasSuffix("$metadata#Collection(microsoft.graph.mailTips)") == true)
            let tips = try response.items()
            #expect(tips.count == 5)
            func tip(_ address: String) -> [String: Any]? {
                tips.first { ($0["emailAddress"] as? [String: Any])?["address"] as? String == address }
            }
            let awayReplies = try #require(tip(away)?["automaticReplies"] as? [String: Any])
            #expect((awayReplies["message"] as? String)?.isEmpty == false)
            #expect((awayReplies["messageLanguage"] as? [String: Any])?["locale"] as? String == "en-US")
            #expect(awayReplies["scheduledEndTime"] is [String: Any])
            #expect((tip(present)?["automaticReplies"] as? [String: Any])?["message"] as? String == "")
            #expect(tip(MailTipsDirectory.fullMailboxAddress)?["mailboxFull"] as? Bool == true)
            #expect(tip(present)?["mailboxFull"] as? Bool == false)
            #expect(tip(present)?["recipientScope"] as? String == "internal")
            #expect(tip(external)?["recipientScope"] as? String == "external")
            #expect(tip(present)?["maxMessageSize"] as? Int == 36_700_160)
            #expect(tip(external)?["maxMessageSize"] == nil)
            // Options not asked for are not answered.
            #expect(tip(present)?["totalMemberCount"] == nil)
            #expect((tip(owner)?["automaticReplies"] as? [String: Any])?["message"] as? String == "")

            // The owner's own automatic replies show once they are on.
            var settings = await emulator.mailbox.mailboxSettings()
            settings.automaticReplies.status = .alwaysEnabled
            settings.automaticReplies.internalReplyMessage = "On leave"
            try await emulator.mailbox.setMailboxSettings(settings)
            let own = try await emulator.sendJSON("POST", "/v1.0/me/microsoft.graph.getMailTips", [
                "emailAddresses": [owner], "mailTipsOptions": "automaticReplies",
            ]).items()
            #expect((own.first?["automaticReplies"] as? [String: Any])?["message"] as? String == "On leave")

            let list = try await emulator.sendJSON("POST", "/v1.0/me/getMailTips", [
                "EmailAddresses": [MailTipsDirectory.distributionListAddress],
                "MailTipsOptions": "totalMemberCount,externalMemberCount,customMailTip",
            ]).items()
            #expect(list.first?["totalMemberCount"] as? Int == 58)
            #expect(list.first?["externalMemberCount"] as? Int == 3)
            #expect(list.first?["customMailTip"] is String)

            #expect(try await emulator.sendJSON("POST", "/v1.0/me/getMailTips", [
                "EmailAddresses": [present], "MailTipsOptions": "automaticReplies, horoscope",
            ]).status == 400)
            #expect(try await emulator.sendJSON("POST", "/v1.0/me/getMailTips", ["MailTipsOptions": "automaticReplies"]).status == 400)
            #expect(try await emulator.get("/v1.0/me/getMailTips").status == 405)
        }
    }
}
