import Foundation
import Testing

/// The validator itself: it must accept what Microsoft's description allows and report, with a
/// JSON path, what it does not. The conformance tests are only as good as these checks.
@Suite("OpenAPI validator")
struct OpenAPIValidatorTests {
    static func validator(_ version: OpenAPIDescription.Version = .v1) throws -> OpenAPIValidator {
        OpenAPIValidator(try OpenAPIDescription.shared(version))
    }

    /// A message as Graph writes it without `$select` (the shape of Microsoft's get-message example).
    static let message = """
        {
          "@odata.etag": "W/\\"CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAnjjuZ\\"",
          "id": "AAMkADhMGAAA=",
          "createdDateTime": "2024-03-01T09:15:00Z",
          "lastModifiedDateTime": "2024-03-01T09:15:02Z",
          "changeKey": "CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAnjjuZ",
          "categories": ["Red category"],
          "receivedDateTime": "2024-03-01T09:15:00Z",
          "sentDateTime": "2024-03-01T09:14:58Z",
          "hasAttachments": false,
          "internetMessageId": "<MW2PR00MB0001@example.com>",
          "subject": "Quarterly numbers",
          "bodyPreview": "Here they are.",
          "importance": "normal",
          "parentFolderId": "AQMkADYAAAIBDAAAAA==",
          "conversationId": "AAQkADhMGAAA=",
          "conversationIndex": "AQHZa8Q1k2d+Jm/0Sk2x5w==",
          "isDeliveryReceiptRequested": null,
          "isReadReceiptRequested": false,
          "isRead": true,
          "isDraft": false,
          "webLink": "https://outlook.office365.com/owa/?ItemID=AAMkADhMGAAA%3D&exvsurl=1&viewmodel=ReadMessageItem",
          "inferenceClassification": "focused",
          "body": {"contentType": "html", "content": "<html><body>Here they are.</body></html>"},
          "sender": {"emailAddress": {"name": "Megan Bowen", "address": "megan@contoso.com"}},
          "from": {"emailAddress": {"name": "Megan Bowen", "address": "megan@contoso.com"}},
          "toRecipients": [{"emailAddress": {"name": "Alex Wilber", "address": "alex@contoso.com"}}],
          "ccRecipients": [],
          "bccRecipients": [],
          "replyTo": [],
          "flag": {"flagStatus": "flagged", "startDateTime": {"dateTime": "2024-03-01T00:00:00.0000000", "timeZone": "UTC"}}
        }
        """

    /// `message` with `change` applied to its members.
    static func message(_ change: (inout [String: JSONValue]) -> Void) throws -> JSONValue {
        guard case .object(var members) = try JSONValue.parse(message) else { throw JSONParseError(offset: 0, reason: "not an object") }
        change(&members)
        return .object(members)
    }

    static func paths(_ violations: [SchemaViolation]) -> [String] { violations.map(\.path) }

    // MARK: JSON parsing

    @Test("The parser keeps number literals and rejects what JSON forbids")
    func parsing() throws {
        let value = try JSONValue.parse(#"{"a":[1,1.0,-2e3,true,null,"\u00e9\ud83d\ude00\n"],"b":{}}"#)
        #expect(value == .object([
            "a": .array([.number("1"), .number("1.0"), .number("-2e3"), .bool(true), .null, .string("é😀\n")]),
            "b": .object([:]),
        ]))
        for bad in [#"{"a":1,"a":2}"#, #"{"a":1} x"#, #"{"a":[1,2"#, "[01]", #"["\x"]"#, "[1.]", #"{"a" 1}"#, "\"\u{01}\"", "[\"\\ud800\"]", ""] {
            #expect(throws: JSONParseError.self, "accepted \(bad)") { try JSONValue.parse(bad) }
        }
        let duplicate = #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"id":"a", "id":"b"}"#) }
        #expect(duplicate?.reason == #"duplicate member name "id""#)
        #expect(duplicate?.offset == 11)
    }

    // MARK: The extracted descriptions

    @Test("Both descriptions load with the operations and the CSDL-derived types", arguments: OpenAPIDescription.Version.allCases)
    func descriptionsLoad(_ version: OpenAPIDescription.Version) throws {
        let description = try OpenAPIDescription.shared(version)
        #expect(description.version == version)
        for id in ["users_ListMailFolders", "users.mailFolders.messages_delta", "users_GetMessages", "users.messages_move"] {
            #expect(description.operations[id] != nil, "\(id) missing")
        }
        #expect(description.operations["users.mailFolders.messages_delta"]?.method == "GET")
        #expect(description.operations["users.messages_send"]?.schema == nil)
        for name in ["microsoft.graph.fileAttachment", "microsoft.graph.itemAttachment", "microsoft.graph.referenceAttachment",
                     "microsoft.graph.mailSearchFolder", "microsoft.graph.eventMessage", "microsoft.graph.mailboxSettings",
                     OpenAPIValidator.errorSchema] {
            #expect(description.schemas[name] != nil, "\(name) missing")
        }
        #expect(description.abstractTypes.isSuperset(of: ["microsoft.graph.attachment", "microsoft.graph.outlookItem"]))
        #expect((description.schemas["microsoft.graph.mentionsPreview"] != nil) == (version == .beta))
    }

    // MARK: Accepting

    /// Microsoft's documented example bodies (Tests/GraphAPITests/Fixtures, copied verbatim from
    /// the docs): the validator must accept real payloads, and report exactly the quirks that
    /// Fixtures/SOURCE.md lists (a string "true", placeholder values, PascalCase "HTML").
    static let documentedExamples: [(file: String, version: OpenAPIDescription.Version, target: String, quirks: Set<String>)] = [
        ("get-message.json", .v1, "users_GetMessages", []),
        ("get-message-internet-headers.json", .v1, "users_GetMessages", []),
        ("get-message-text-body.json", .v1, "users_GetMessages", []),
        ("list-messages.json", .v1, "users_ListMessages", []),
        ("message-delta-first-page.json", .v1, "users.mailFolders.messages_delta", []),
        ("message-delta-page-with-nextlink.json", .v1, "users.mailFolders.messages_delta", []),
        ("message-delta-final-page-with-deltalink.json", .v1, "users.mailFolders.messages_delta", []),
        ("message-delta-page-with-removed.json", .v1, "users.mailFolders.messages_delta", ["$.value[1].isRead"]),
        ("message-delta-changetype-created-next-round.json", .v1, "users.mailFolders.messages_delta", []),
        ("message-delta-api-example.json", .v1, "users.mailFolders.messages_delta",
         ["$.value[0].body.contentType", "$.value[0].receivedDateTime", "$.value[0].sentDateTime"]),
        ("mailfolders-list.json", .v1, "users_ListMailFolders", []),  // includes a mailSearchFolder
        ("mailfolders-list-hidden.json", .v1, "users_ListMailFolders", []),
        ("mailfolders-delta.json", .v1, "users.mailFolders_delta", []),
        ("get-mailfolder.json", .v1, "users_GetMailFolders", []),
        ("create-reply-response.json", .v1, "users.messages_createReply", ["$.conversationIndex"]),
        ("move-message-response.json", .v1, "users.messages_move", []),
        ("beta-get-message-expand-mentions.json", .beta, "users_GetMessages", ["$.body.contentType"]),
        ("beta-list-messages-mentioned.json", .beta, "users_ListMessages", []),
        ("error-429-throttled.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-invalid-authentication-token.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-invalid-id-malformed.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-item-not-found.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-mailbox-not-enabled-for-rest.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-mime-invalid-base64.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-resource-not-found.json", .v1, OpenAPIValidator.errorSchema, []),
        ("error-syncstate-not-found.json", .v1, OpenAPIValidator.errorSchema, []),
    ]

    @Test("Microsoft's documented examples validate, apart from their known quirks")
    func documentedExamples() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../GraphAPITests/Fixtures").standardized
        for example in Self.documentedExamples {
            let document = try JSONValue.parse(try Data(contentsOf: fixtures.appendingPathComponent(example.file)))
            let validator = try Self.validator(example.version)
            let violations = example.target == OpenAPIValidator.errorSchema
                ? validator.validate(document, schemaNamed: example.target)
                : try validator.validate(document, responseOf: example.target)
            #expect(Set(Self.paths(violations)) == example.quirks,
                    "\(example.file):\n\(violations.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("A complete message, a delta page with a tombstone and an error envelope validate")
    func acceptsValidDocuments() throws {
        let validator = try Self.validator()
        #expect(validator.validate(try JSONValue.parse(Self.message), schemaNamed: "microsoft.graph.message") == [])

        let delta = try JSONValue.parse("""
            {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
             "@odata.nextLink": "https://graph.microsoft.com/v1.0/me/mailFolders('AQMk')/messages/delta?$skiptoken=x",
             "value": [
               {"@odata.type": "#microsoft.graph.message", "@odata.etag": "W/\\"x\\"", "id": "AAMk1=", "subject": "Hi", "isRead": false},
               {"@odata.type": "#microsoft.graph.message", "id": "AAMk2=", "@removed": {"reason": "deleted"}},
               {"@odata.type": "#microsoft.graph.eventMessage", "id": "AAMk3=", "meetingMessageType": "meetingRequest", "isAllDay": false}
             ]}
            """)
        #expect(try validator.validate(delta, responseOf: "users.mailFolders.messages_delta") == [])

        let error = try JSONValue.parse("""
            {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store.",
             "innerError": {"date": "2024-03-01T09:15:00", "request-id": "0f6c", "client-request-id": "0f6c"}}}
            """)
        #expect(validator.validate(error, schemaNamed: OpenAPIValidator.errorSchema) == [])
    }

    @Test("Nulls are accepted where the property is nullable or a bare $ref, nowhere else")
    func nulls() throws {
        let validator = try Self.validator()
        let nullable = try Self.message {
            $0["subject"] = .null
            $0["from"] = .null  // `$ref: recipient`: nullable in the CSDL
            $0["flag"] = .null
        }
        #expect(validator.validate(nullable, schemaNamed: "microsoft.graph.message") == [])

        let nullItem = try Self.message { $0["toRecipients"] = .array([.null]) }
        #expect(Self.paths(validator.validate(nullItem, schemaNamed: "microsoft.graph.message")) == ["$.toRecipients[0]"])

        let attachment = try JSONValue.parse("""
            {"@odata.type": "#microsoft.graph.fileAttachment", "id": "AAMkAtt=", "name": "a.txt", "contentType": null,
             "size": 3, "isInline": null, "lastModifiedDateTime": "2024-03-01T09:15:00Z", "contentBytes": "YWJj"}
            """)
        let violations = validator.validate(attachment, schemaNamed: "microsoft.graph.attachment")
        #expect(Self.paths(violations) == ["$.isInline"])
        #expect(violations.first?.message.contains("not nullable") == true)
    }

    // MARK: Reporting

    @Test("Wrong types, enum values, formats and ranges are reported at their JSON path")
    func reportsScalarViolations() throws {
        let validator = try Self.validator()
        let broken = try Self.message {
            $0["isRead"] = .string("true")  // as in Microsoft's own delta example; real payloads are boolean
            $0["importance"] = .string("urgent")
            $0["receivedDateTime"] = .string("2024-13-01T09:15:00Z")
            $0["sentDateTime"] = .string("yesterday")
            $0["conversationIndex"] = .string("not base64!")
            $0["categories"] = .array([.string("Red"), .number("7")])
            $0["body"] = .object(["contentType": .string("markdown"), "content": .string("x")])
        }
        let violations = validator.validate(broken, schemaNamed: "microsoft.graph.message")
        #expect(Set(Self.paths(violations)) == [
            "$.isRead", "$.importance", "$.receivedDateTime", "$.sentDateTime", "$.conversationIndex",
            "$.categories[1]", "$.body.contentType",
        ])
        #expect(violations.first { $0.path == "$.isRead" }?.message == #"expected boolean, got string "true""#)
        #expect(violations.first { $0.path == "$.importance" }?.message.contains(#""low", "normal", "high""#) == true)

        let folder = try JSONValue.parse("""
            {"id": "AQMk=", "displayName": "Inbox", "childFolderCount": 1.5, "unreadItemCount": 2147483648,
             "totalItemCount": -1, "isHidden": false, "parentFolderId": "AQMkRoot="}
            """)
        let folderViolations = validator.validate(folder, schemaNamed: "microsoft.graph.mailFolder")
        #expect(Set(Self.paths(folderViolations)) == ["$.childFolderCount", "$.unreadItemCount"])
        #expect(folderViolations.first { $0.path == "$.childFolderCount" }?.message == "expected integer, got number 1.5")
    }

    @Test("Undeclared properties: scalars are reported, objects are what additionalProperties allows")
    func undeclaredProperties() throws {
        let validator = try Self.validator()
        let extra = try Self.message {
            $0["subjectLine"] = .string("typo of subject")
            $0["vendorData"] = .object(["anything": .bool(true)])
        }
        let violations = validator.validate(extra, schemaNamed: "microsoft.graph.message")
        #expect(Self.paths(violations) == ["$.subjectLine"])
        #expect(violations.first?.message.contains("not declared by microsoft.graph.message") == true)

        // wellKnownName is a beta property of mailFolder.
        let folder = try JSONValue.parse(#"{"id": "AQMk=", "displayName": "Inbox", "wellKnownName": "inbox"}"#)
        #expect(try Self.validator(.beta).validate(folder, schemaNamed: "microsoft.graph.mailFolder") == [])
        #expect(Self.paths(validator.validate(folder, schemaNamed: "microsoft.graph.mailFolder")) == ["$.wellKnownName"])
    }

    @Test("@odata.type selects a derived type, which must derive from the declared one")
    func derivedTypes() throws {
        let validator = try Self.validator()
        let searchFolder = ##"{"@odata.type": "#microsoft.graph.mailSearchFolder", "id": "AAMkS=", "displayName": "Unread", "filterQuery": "isRead eq false", "isSupported": true, "sourceFolderIds": ["AQMk="]}"##
        let list = try JSONValue.parse(#"{"value": [\#(searchFolder)]}"#)
        #expect(try validator.validate(list, responseOf: "users_ListMailFolders") == [])

        // Without its type the search folder's own properties are undeclared scalars.
        let untyped = try JSONValue.parse(#"{"value": [{"id": "AAMkS=", "displayName": "Unread", "filterQuery": "isRead eq false"}]}"#)
        #expect(Self.paths(try validator.validate(untyped, responseOf: "users_ListMailFolders")) == ["$.value[0].filterQuery"])

        let wrongBase = try Self.message { $0["@odata.type"] = .string("#microsoft.graph.fileAttachment") }
        let wrong = validator.validate(wrongBase, schemaNamed: "microsoft.graph.message")
        #expect(Self.paths(wrong) == ["$['@odata.type']"])
        #expect(wrong.first?.message == "microsoft.graph.fileAttachment is not microsoft.graph.message or a type derived from it")

        let unknown = try Self.message { $0["@odata.type"] = .string("#microsoft.graph.chatMessage") }
        #expect(Self.paths(validator.validate(unknown, schemaNamed: "microsoft.graph.message")) == ["$['@odata.type']"])
        let noHash = try Self.message { $0["@odata.type"] = .string("microsoft.graph.message") }
        #expect(Self.paths(validator.validate(noHash, schemaNamed: "microsoft.graph.message")) == ["$['@odata.type']"])
    }

    @Test("Attachments: the abstract base needs @odata.type, and derived properties are checked")
    func attachments() throws {
        let validator = try Self.validator()
        let base = #""id": "AAMkAtt=", "name": "a.txt", "contentType": "text/plain", "isInline": false, "lastModifiedDateTime": "2024-03-01T09:15:00Z""#
        let file = try JSONValue.parse(##"{"@odata.type": "#microsoft.graph.fileAttachment", \##(base), "size": 3, "contentId": null, "contentBytes": "YWJj", "contentBytes@odata.mediaContentType": "text/plain"}"##)
        #expect(validator.validate(file, schemaNamed: "microsoft.graph.attachment") == [])
        let reference = try JSONValue.parse(##"{"@odata.type": "#microsoft.graph.referenceAttachment", \##(base), "size": 120}"##)
        #expect(validator.validate(reference, schemaNamed: "microsoft.graph.attachment") == [])

        let untyped = try JSONValue.parse(#"{\#(base), "size": 3}"#)
        let abstract = validator.validate(untyped, schemaNamed: "microsoft.graph.attachment")
        #expect(abstract.map(\.description) == ["$: microsoft.graph.attachment is abstract: the instance must name its type with @odata.type"])

        let badBytes = try JSONValue.parse(##"{"@odata.type": "#microsoft.graph.fileAttachment", \##(base), "contentBytes": "YW=Jj", "size": "3"}"##)
        #expect(Set(Self.paths(validator.validate(badBytes, schemaNamed: "microsoft.graph.attachment"))) == ["$.contentBytes", "$.size"])
    }

    @Test("Annotations: @odata.* and @removed where Graph sends them, nothing else")
    func annotations() throws {
        let validator = try Self.validator()
        let page = try JSONValue.parse("""
            {"@odata.count": "2", "@odata.nextLink": 5, "@microsoft.graph.tips": "x",
             "value": [
               {"@odata.type": "#microsoft.graph.message", "id": "AAMk1=", "@removed": {"reason": "gone"}},
               {"id": "AAMk2=", "@removed": "deleted"},
               {"id": "AAMk3=", "from": {"emailAddress": {"address": "a@b.c"}, "@removed": {"reason": "deleted"}}},
               {"id": "AAMk4=", "subject@odata.type": "#String", "bogus@odata.type": "#String", "subject@vendor.note": "x"}
             ]}
            """)
        let violations = try validator.validate(page, responseOf: "users.mailFolders.messages_delta")
        #expect(Self.paths(violations) == [
            "$['@microsoft.graph.tips']", "$['@odata.count']", "$['@odata.nextLink']",
            "$.value[0]['@removed'].reason", "$.value[1]['@removed']", "$.value[2].from['@removed']",
            "$.value[3]['bogus@odata.type']", "$.value[3]['subject@vendor.note']",
        ])
    }

    @Test("The error envelope needs code and message as strings")
    func errorEnvelope() throws {
        let validator = try Self.validator()
        let broken = try JSONValue.parse(#"{"error": {"code": 404, "innerError": "x"}}"#)
        let violations = validator.validate(broken, schemaNamed: OpenAPIValidator.errorSchema)
        #expect(Set(violations.map(\.description)) == [
            "$.error: required property 'message' of microsoft.graph.ODataErrors.MainError is missing",
            "$.error.code: expected string, got integer 404",
            "$.error.innerError: property not declared by microsoft.graph.ODataErrors.MainError, and additionalProperties does not allow it: expected object, got string \"x\"",
        ])
        #expect(Self.paths(validator.validate(.array([]), schemaNamed: OpenAPIValidator.errorSchema)) == ["$"])
    }

    @Test("anyOf, oneOf, patterns of inline schemas, and unknown operations")
    func combinators() throws {
        let validator = try Self.validator()
        let anyOf = try JSONValue.parse(#"{"anyOf": [{"type": "number", "format": "double"}, {"type": "string", "enum": ["-INF", "INF", "NaN"]}]}"#)
        #expect(validator.validate(.number("1.5"), against: anyOf) == [])
        #expect(validator.validate(.string("INF"), against: anyOf) == [])
        #expect(Self.paths(validator.validate(.string("big"), against: anyOf)) == ["$"])

        let oneOf = try JSONValue.parse(#"{"oneOf": [{"type": "string"}, {"type": "string", "enum": ["a"]}]}"#)
        #expect(validator.validate(.string("b"), against: oneOf) == [])
        #expect(validator.validate(.string("a"), against: oneOf).first?.message == "matches 2 of the oneOf alternatives instead of exactly one")

        let pattern = try JSONValue.parse(#"{"type": "string", "pattern": "^a+$"}"#)
        #expect(validator.validate(.string("aa"), against: pattern) == [])
        #expect(Self.paths(validator.validate(.string("ab"), against: pattern)) == ["$"])

        #expect(throws: OpenAPIValidator.LookupError.self) { try validator.validate(.null, responseOf: "users_DoesNotExist") }
        #expect(throws: OpenAPIValidator.LookupError.self) { try validator.validate(.null, responseOf: "users.messages_send") }
        #expect(Self.paths(validator.validate(.null, against: .object(["$ref": .string("#/components/schemas/nope")]))) == ["$"])
    }

    @Test("Formats on their own")
    func formats() {
        for valid in ["2024-03-01T09:15:00Z", "2024-03-01T09:15:00.1234567Z", "2024-03-01T09:15:00+01:00"] {
            #expect(OpenAPIValidator.formatProblem(valid, format: "date-time") == nil, "\(valid)")
        }
        for invalid in ["2024-03-01", "2024-03-01T09:15Z", "2024-03-01T25:00:00Z", "2024-3-01T09:15:00Z", "2024-03-01T09:15:00", "2024-03-01T09:15:00+0100"] {
            #expect(OpenAPIValidator.formatProblem(invalid, format: "date-time") != nil, "\(invalid)")
        }
        #expect(OpenAPIValidator.formatProblem("08:30:00.0000000", format: "time") == nil)
        #expect(OpenAPIValidator.formatProblem("8:30", format: "time") != nil)
        for valid in ["", "YWJj", "YWI=", "YQ==", "YWJjZA", "a-_b", "+/+/"] {
            #expect(OpenAPIValidator.formatProblem(valid, format: "base64url") == nil, "\(valid)")
        }
        for invalid in ["YWJjZ", "Y===", "YW=J", "YWJ$", "YWJ="+"="] {
            #expect(OpenAPIValidator.formatProblem(invalid, format: "base64url") != nil, "\(invalid)")
        }
    }
}
