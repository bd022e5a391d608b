import Foundation

/// The writable properties of a `message` JSON body: a PATCH, a new draft (`POST /messages`),
/// the `message` of `sendMail`, or the `message` parameter of reply and forward actions.
/// nil means "not in the request" (GRAPH.md §5: absent properties keep their values).
struct MessagePatch: Sendable, Equatable {
    struct FlagPatch: Sendable, Equatable {
        var status: EmulatedMessage.FlagStatus?
        var start: Int64?
        var due: Int64?
        var completed: Int64?
    }

    var subject: String?
    var body: EmulatedMessage.Body?
    var from: EmulatedMessage.Recipient?
    var sender: EmulatedMessage.Recipient?
    var toRecipients: [EmulatedMessage.Recipient]?
    var ccRecipients: [EmulatedMessage.Recipient]?
    var bccRecipients: [EmulatedMessage.Recipient]?
    var replyTo: [EmulatedMessage.Recipient]?
    var importance: EmulatedMessage.Importance?
    var inferenceClassification: EmulatedMessage.Classification?
    var isRead: Bool?
    var isReadReceiptRequested: Bool?
    var isDeliveryReceiptRequested: Bool?
    var categories: [String]?
    var flag: FlagPatch?
    var internetMessageID: String?
    /// File attachments sent inline with a new message (sendMail Example 3, new drafts).
    var attachments: [EmulatedMessage.Attachment]?

    /// Properties of `message` that a client may read but not write. Graph refuses them in a
    /// request body, so does the emulator (nothing is silently dropped).
    private static let readOnly: Set<String> = [
        "id", "createddatetime", "lastmodifieddatetime", "changekey", "receiveddatetime", "sentdatetime",
        "hasattachments", "bodypreview", "parentfolderid", "conversationid", "conversationindex", "isdraft", "weblink",
        "uniquebody",
    ]

    /// Parses a message object. `allowAttachments` is true where a new message is created.
    static func parse(_ json: RequestJSON, allowAttachments: Bool) throws(GraphError) -> MessagePatch {
        guard let members = json.objectValue else { throw RequestJSON.wrongType("message", expected: "an object") }
        var patch = MessagePatch()
        for (key, value) in members {
            let name = key.lowercased()
            // OData annotations (`@odata.type`, `@odata.etag`) describe the payload, they are not properties.
            if name.hasPrefix("@") || name.contains("@odata.") { continue }
            if readOnly.contains(name) {
                throw GraphError.badRequest(
                    "The property '\(key)' is read-only and cannot be set.", code: "ErrorInvalidPropertySet")
            }
            switch name {
            case "subject": patch.subject = try text(value, key) ?? ""
            case "body": patch.body = try body(value, key)
            case "from": patch.from = try recipient(value, key)
            case "sender": patch.sender = try recipient(value, key)
            case "torecipients": patch.toRecipients = try recipients(value, key)
            case "ccrecipients": patch.ccRecipients = try recipients(value, key)
            case "bccrecipients": patch.bccRecipients = try recipients(value, key)
            case "replyto": patch.replyTo = try recipients(value, key)
            case "importance": patch.importance = try enumeration(value, key, EmulatedMessage.Importance.self)
            case "inferenceclassification":
                patch.inferenceClassification = try enumeration(value, key, EmulatedMessage.Classification.self)
            case "isread": patch.isRead = try boolean(value, key)
            case "isreadreceiptrequested": patch.isReadReceiptRequested = try boolean(value, key)
            case "isdeliveryreceiptrequested": patch.isDeliveryReceiptRequested = try boolean(value, key)
            case "categories":
                guard case .array(let items) = value else { throw RequestJSON.wrongType(key, expected: "an array of strings") }
                var names: [String] = []
                for item in items {
                    guard case .string(let name) = item else { throw RequestJSON.wrongType(key, expected: "an array of strings") }
                    names.append(name)
                }
                patch.categories = names
            case "flag": patch.flag = try flag(value, key)
            case "internetmessageid": patch.internetMessageID = try text(value, key)
            case "attachments" where allowAttachments:
                patch.attachments = try attachments(value, key)
            case "internetmessageheaders":
                throw GraphError.badRequest("The emulator does not store custom internetMessageHeaders.")
            default:
                throw GraphError.badRequest(
                    "The property '\(key)' does not exist on type 'Microsoft.OutlookServices.Message'. Make sure to only use "
                        + "property names that are defined by the type.")
            }
        }
        return patch
    }

    /// Applies the patch as a PATCH of an existing message does (GRAPH.md §5): `subject`,
    /// `body`, `replyTo` and `internetMessageId` only on drafts; a due date needs a start date.
    func apply(to message: inout EmulatedMessage, now: Int64) throws(GraphError) {
        if !message.isDraft {
            let draftOnly: [(String, Bool)] = [
                ("subject", subject != nil), ("body", body != nil), ("replyTo", replyTo != nil),
                ("internetMessageId", internetMessageID != nil),
            ]
            if let (name, _) = draftOnly.first(where: { $0.1 }) {
                throw GraphError.badRequest(
                    "The property '\(name)' can be updated only on a draft message.", code: "ErrorInvalidPropertyUpdateSentMessage")
            }
        }
        if let subject { message.subject = subject }
        if let body { message.setBody(body) }
        if let from { message.from = from }
        if let sender { message.sender = sender }
        if let toRecipients { message.toRecipients = toRecipients }
        if let ccRecipients { message.ccRecipients = ccRecipients }
        if let bccRecipients { message.bccRecipients = bccRecipients }
        if let replyTo { message.replyTo = replyTo }
        if let importance { message.importance = importance }
        if let inferenceClassification { message.inferenceClassification = inferenceClassification }
        if let isRead { message.isRead = isRead }
        if let isReadReceiptRequested { message.isReadReceiptRequested = isReadReceiptRequested }
        if let isDeliveryReceiptRequested { message.isDeliveryReceiptRequested = isDeliveryReceiptRequested }
        if let categories { message.categories = categories }
        if let internetMessageID { message.internetMessageID = internetMessageID }
        if let flag { message.flag = try Self.merge(flag, into: message.flag, now: now) }
    }

    /// followupFlag rules: "To set the due date, you must also specify the startDateTime;
    /// otherwise, you will get a 400 Bad Request" (D21 followupflag.md). Dates given without a
    /// status flag the message; `notFlagged` clears every date; `complete` stamps the
    /// completion time when the request has none.
    static func merge(_ patch: FlagPatch, into current: EmulatedMessage.Flag, now: Int64) throws(GraphError) -> EmulatedMessage.Flag {
        if patch.due != nil, patch.start == nil {
            throw GraphError.badRequest("To set the dueDateTime of a flag, the startDateTime must be set too.")
        }
        if let start = patch.start, let due = patch.due, due < start {
            throw GraphError.badRequest("The dueDateTime of a flag cannot be earlier than its startDateTime.")
        }
        let datesGiven = patch.start != nil || patch.due != nil || patch.completed != nil
        let status = patch.status ?? (datesGiven && current.status == .notFlagged ? .flagged : current.status)
        switch status {
        case .notFlagged:
            return .notFlagged
        case .flagged:
            return EmulatedMessage.Flag(
                status: .flagged, start: patch.start ?? current.start, due: patch.start == nil ? current.due : patch.due,
                completed: nil)
        case .complete:
            return EmulatedMessage.Flag(
                status: .complete, start: patch.start ?? current.start, due: patch.start == nil ? current.due : patch.due,
                completed: patch.completed ?? current.completed ?? now)
        }
    }

    // MARK: - Members

    private static func text(_ value: RequestJSON, _ key: String) throws(GraphError) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: throw RequestJSON.wrongType(key, expected: "a string")
        }
    }

    private static func boolean(_ value: RequestJSON, _ key: String) throws(GraphError) -> Bool {
        guard case .bool(let flag) = value else { throw RequestJSON.wrongType(key, expected: "true or false") }
        return flag
    }

    private static func enumeration<Value: RawRepresentable & CaseIterable>(
        _ value: RequestJSON, _ key: String, _ type: Value.Type
    ) throws(GraphError) -> Value where Value.RawValue == String {
        guard case .string(let text) = value,
              let match = Value.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() })
        else {
            let names = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw GraphError.badRequest("The value of '\(key)' is not valid: expected one of \(names).", code: "ErrorInvalidRequest")
        }
        return match
    }

    static func body(_ value: RequestJSON, _ key: String) throws(GraphError) -> EmulatedMessage.Body {
        guard value.objectValue != nil else { throw RequestJSON.wrongType(key, expected: "an itemBody object") }
        let content = try value.string("content") ?? ""
        let type: EmulatedMessage.Body.ContentType
        switch try value.string("contentType")?.lowercased() {
        case nil, "text": type = .text
        case "html": type = .html
        case let other?: throw GraphError.badRequest("'\(other)' is not a valid body contentType; expected text or html.")
        }
        return EmulatedMessage.Body(contentType: type, content: content)
    }

    /// `{"emailAddress":{"name":…,"address":…}}`; the name defaults to the address.
    static func recipient(_ value: RequestJSON, _ key: String) throws(GraphError) -> EmulatedMessage.Recipient {
        guard let email = try value.object("emailAddress"),
              let address = try email.string("address")?.trimmingCharacters(in: .whitespaces), !address.isEmpty
        else {
            throw GraphError.badRequest(
                "At least one recipient is not valid.: '\(key)' needs emailAddress.address.", code: "ErrorInvalidRecipients")
        }
        guard address.contains("@"), !address.hasPrefix("@"), !address.hasSuffix("@") else {
            throw GraphError.badRequest("At least one recipient is not valid.: '\(address)'.", code: "ErrorInvalidRecipients")
        }
        let name = try email.string("name") ?? address
        return EmulatedMessage.Recipient(name: name.isEmpty ? address : name, address: address)
    }

    static func recipients(_ value: RequestJSON, _ key: String) throws(GraphError) -> [EmulatedMessage.Recipient] {
        switch value {
        case .null: return []
        case .array(let items):
            var result: [EmulatedMessage.Recipient] = []
            for item in items { result.append(try recipient(item, key)) }
            return result
        default: throw RequestJSON.wrongType(key, expected: "an array of recipients")
        }
    }

    private static func flag(_ value: RequestJSON, _ key: String) throws(GraphError) -> FlagPatch {
        guard value.objectValue != nil else { throw RequestJSON.wrongType(key, expected: "a followupFlag object") }
        var patch = FlagPatch()
        if let status = value["flagStatus"], !status.isNull {
            patch.status = try enumeration(status, "flagStatus", EmulatedMessage.FlagStatus.self)
        }
        patch.start = try dateTimeTimeZone(value, "startDateTime")
        patch.due = try dateTimeTimeZone(value, "dueDateTime")
        patch.completed = try dateTimeTimeZone(value, "completedDateTime")
        return patch
    }

    /// `{"dateTime":"2026-11-20T09:00:00","timeZone":"Pacific Standard Time"}` as UTC seconds.
    static func dateTimeTimeZone(_ parent: RequestJSON, _ key: String) throws(GraphError) -> Int64? {
        guard let value = try parent.object(key) else { return nil }
        guard let text = try value.string("dateTime"), let local = GraphDate.parse(text) else {
            throw GraphError.badRequest("'\(key)' needs a dateTime such as 2026-11-20T09:00:00.")
        }
        let zoneName = try value.string("timeZone") ?? "UTC"
        guard let zone = timeZone(named: zoneName) else {
            throw GraphError.badRequest("The time zone '\(zoneName)' of '\(key)' is not known.", code: "ErrorTimeZone")
        }
        // The offset at the local time itself, found from an estimate of the UTC instant.
        let estimate = Date(timeIntervalSince1970: TimeInterval(local))
        let offset = zone.secondsFromGMT(for: estimate.addingTimeInterval(-TimeInterval(zone.secondsFromGMT(for: estimate))))
        return local - Int64(offset)
    }

    /// Graph takes Windows time zone names ("Pacific Standard Time") as well as IANA ones.
    static func timeZone(named name: String) -> TimeZone? {
        if ["utc", "gmt", "tzone://microsoft/utc", "coordinated universal time"].contains(name.lowercased()) {
            return TimeZone(identifier: "UTC")
        }
        if let iana = windowsTimeZones[name] { return TimeZone(identifier: iana) }
        return name.contains("/") ? TimeZone(identifier: name) : nil
    }

    private static let windowsTimeZones: [String: String] = [
        "Pacific Standard Time": "America/Los_Angeles", "Mountain Standard Time": "America/Denver",
        "Central Standard Time": "America/Chicago", "Eastern Standard Time": "America/New_York",
        "GMT Standard Time": "Europe/London", "W. Europe Standard Time": "Europe/Berlin",
        "Romance Standard Time": "Europe/Paris", "Central European Standard Time": "Europe/Warsaw",
        "E. Europe Standard Time": "Europe/Chisinau", "India Standard Time": "Asia/Kolkata",
        "China Standard Time": "Asia/Shanghai", "Tokyo Standard Time": "Asia/Tokyo",
        "AUS Eastern Standard Time": "Australia/Sydney",
    ]

    /// File attachments of a new message. Other attachment types are added through the
    /// attachments routes.
    private static func attachments(_ value: RequestJSON, _ key: String) throws(GraphError) -> [EmulatedMessage.Attachment] {
        guard case .array(let items) = value else { throw RequestJSON.wrongType(key, expected: "an array of attachments") }
        var result: [EmulatedMessage.Attachment] = []
        for item in items {
            let type = try item.string("@odata.type")?.lowercased()
            guard type == nil || type == "#microsoft.graph.fileattachment" || type == "microsoft.graph.fileattachment" else {
                throw GraphError.badRequest("Only file attachments can be included in a new message; add others afterwards.")
            }
            guard let name = try item.string("name"), !name.isEmpty else {
                throw GraphError.badRequest("An attachment needs a name.")
            }
            let encoded = try item.string("contentBytes") ?? ""
            guard let data = Data(base64Encoded: encoded) else {
                throw GraphError.badRequest("The contentBytes of attachment '\(name)' is not valid base64.")
            }
            result.append(EmulatedMessage.Attachment(
                id: nil, name: name, contentType: try item.string("contentType") ?? "application/octet-stream",
                size: data.count, isInline: try item.bool("isInline") ?? false, lastModified: 0, contentBytes: encoded))
        }
        return result
    }
}
