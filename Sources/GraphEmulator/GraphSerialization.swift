import Foundation

/// Properties of the v1.0 `message` resource, in the order Graph writes them.
enum MessageField: String, CaseIterable, Sendable {
    case createdDateTime, lastModifiedDateTime, changeKey, categories, receivedDateTime, sentDateTime
    case hasAttachments, internetMessageId, subject, bodyPreview, importance, parentFolderId, conversationId
    case conversationIndex, isDeliveryReceiptRequested, isReadReceiptRequested, isRead, isDraft, webLink
    case inferenceClassification, body, uniqueBody, sender, from, toRecipients, ccRecipients, bccRecipients
    case replyTo, mentionsPreview, flag, internetMessageHeaders

    /// Returned without `$select`; `uniqueBody` and `internetMessageHeaders` must be asked for.
    static let defaults = allCases.filter { $0 != .uniqueBody && $0 != .internetMessageHeaders && $0 != .mentionsPreview }
    /// Beta messages also carry `mentionsPreview` (null when the owner is not mentioned).
    static let betaDefaults = allCases.filter { $0 != .uniqueBody && $0 != .internetMessageHeaders }

    static let byLowercasedName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
}

enum FolderField: String, CaseIterable, Sendable {
    case displayName, parentFolderId, childFolderCount, unreadItemCount, totalItemCount, isHidden, wellKnownName

    static let byLowercasedName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
}

enum UserField: String, CaseIterable, Sendable {
    case businessPhones, displayName, givenName, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage
    case surname, userPrincipalName

    static let byLowercasedName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
}

/// Parses `$select` against a resource's properties. `id` is always returned and may be
/// named; an unknown name is a 400, as in Graph.
enum Selection {
    static func parse<Field: RawRepresentable & CaseIterable & Equatable>(
        _ text: String?, fields: [String: Field], type: String, allowed: (Field) -> Bool = { _ in true }
    ) throws(QueryError) -> (fields: [Field], names: [String])? where Field.RawValue == String {
        guard let text else { return nil }
        var chosen: [Field] = []
        var names: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            if name.lowercased() == "id" {
                if !names.contains("id") { names.append("id") }
                continue
            }
            guard let field = fields[name.lowercased()], allowed(field) else {
                throw .unknownProperty(name, type: type)
            }
            if !chosen.contains(field) {
                chosen.append(field)
                names.append(field.rawValue)
            }
        }
        guard !names.isEmpty else { throw .badRequest("$select is empty.") }
        // Graph writes properties in its own order whatever the order of `$select`.
        let ordered = Field.allCases.filter { chosen.contains($0) }
        return (ordered, names)
    }
}

/// How a message is written in a response.
struct MessageWriter {
    var fields: [MessageField] = MessageField.defaults
    var immutableIDs = false
    /// From `Prefer: outlook.body-content-type`; nil keeps the stored type.
    var bodyType: EmulatedMessage.Body.ContentType?
    /// Delta items carry `@odata.type`.
    var includeODataType = false

    func write(_ message: EmulatedMessage, to json: inout JSONWriter) {
        json.beginObject()
        writeFields(message, to: &json)
        json.endObject()
    }

    /// Writes the message's properties into an object that is already open.
    func writeFields(_ message: EmulatedMessage, to json: inout JSONWriter) {
        if includeODataType { json.field("@odata.type", "#microsoft.graph.message") }
        json.field("@odata.etag", "W/\"\(message.changeKey)\"")
        let id = immutableIDs ? message.immutableID : message.id
        json.field("id", id)
        for field in fields {
            json.key(field.rawValue)
            switch field {
            case .createdDateTime: json.string(GraphDate.format(message.created))
            case .lastModifiedDateTime: json.string(GraphDate.format(message.lastModified))
            case .changeKey: json.string(message.changeKey)
            case .categories:
                json.beginArray()
                for category in message.categories { json.string(category) }
                json.endArray()
            case .receivedDateTime: json.string(GraphDate.format(message.received))
            case .sentDateTime:
                if let sent = message.sent { json.string(GraphDate.format(sent)) } else { json.null() }
            case .hasAttachments: json.bool(message.hasAttachments)
            case .internetMessageId: json.string(message.internetMessageID)
            case .subject: json.string(message.subject)
            case .bodyPreview: json.string(message.bodyPreview)
            case .importance: json.string(message.importance.rawValue)
            case .parentFolderId: json.string(message.parentFolderID)
            case .conversationId: json.string(message.conversationID)
            case .conversationIndex: json.string(message.conversationIndex)
            case .isDeliveryReceiptRequested:
                if let value = message.isDeliveryReceiptRequested { json.bool(value) } else { json.null() }
            case .isReadReceiptRequested: json.bool(message.isReadReceiptRequested)
            case .isRead: json.bool(message.isRead)
            case .isDraft: json.bool(message.isDraft)
            case .webLink: json.string(Self.webLink(for: id))
            case .inferenceClassification: json.string(message.inferenceClassification.rawValue)
            case .body: writeBody(message.body, to: &json)
            case .uniqueBody: writeBody(message.uniqueBody, to: &json)
            case .sender: Self.writeRecipient(message.sender, to: &json)
            case .from: Self.writeRecipient(message.from, to: &json)
            case .toRecipients: Self.writeRecipients(message.toRecipients, to: &json)
            case .ccRecipients: Self.writeRecipients(message.ccRecipients, to: &json)
            case .bccRecipients: Self.writeRecipients(message.bccRecipients, to: &json)
            case .replyTo: Self.writeRecipients(message.replyTo, to: &json)
            case .flag: Self.writeFlag(message.flag, to: &json)
            case .mentionsPreview:
                if message.mentionsOwner {
                    json.beginObject()
                    json.field("isMentioned", true)
                    json.endObject()
                } else {
                    json.null()
                }
            case .internetMessageHeaders: Self.writeHeaders(message, to: &json)
            }
        }
    }

    private func writeBody(_ body: EmulatedMessage.Body, to json: inout JSONWriter) {
        let served: EmulatedMessage.Body
        switch bodyType {
        case .text: served = BodyComposer.textBody(from: body)
        case .html: served = BodyComposer.htmlBody(from: body)
        case nil: served = body
        }
        json.beginObject()
        json.field("contentType", served.contentType.rawValue)
        json.field("content", served.content)
        json.endObject()
    }

    static func writeRecipient(_ recipient: EmulatedMessage.Recipient?, to json: inout JSONWriter) {
        guard let recipient else {
            json.null()
            return
        }
        json.beginObject()
        json.key("emailAddress")
        json.beginObject()
        json.field("name", recipient.name)
        json.field("address", recipient.address)
        json.endObject()
        json.endObject()
    }

    static func writeRecipients(_ recipients: [EmulatedMessage.Recipient], to json: inout JSONWriter) {
        json.beginArray()
        for recipient in recipients { writeRecipient(recipient, to: &json) }
        json.endArray()
    }

    static func writeFlag(_ flag: EmulatedMessage.Flag, to json: inout JSONWriter) {
        json.beginObject()
        json.field("flagStatus", flag.status.rawValue)
        for (name, value) in [("startDateTime", flag.start), ("dueDateTime", flag.due), ("completedDateTime", flag.completed)] {
            guard let value else { continue }
            json.key(name)
            json.beginObject()
            json.field("dateTime", GraphDate.formatLocal(value))
            json.field("timeZone", "UTC")
            json.endObject()
        }
        json.endObject()
    }

    static func writeHeaders(_ message: EmulatedMessage, to json: inout JSONWriter) {
        func address(_ recipient: EmulatedMessage.Recipient) -> String { "\(recipient.name) <\(recipient.address)>" }
        var headers: [(String, String)] = []
        if let from = message.from { headers.append(("From", address(from))) }
        if !message.toRecipients.isEmpty { headers.append(("To", message.toRecipients.map(address).joined(separator: ", "))) }
        if !message.ccRecipients.isEmpty { headers.append(("CC", message.ccRecipients.map(address).joined(separator: ", "))) }
        headers.append(("Subject", message.subject))
        headers.append(("Date", GraphDate.formatRFC5322(message.sent ?? message.received)))
        headers.append(("Message-ID", message.internetMessageID))
        headers.append(("MIME-Version", "1.0"))
        let contentType = message.bodyContentType == .html ? "text/html" : "text/plain"
        headers.append(("Content-Type", "\(contentType); charset=\"utf-8\""))
        if message.importance != .normal { headers.append(("Importance", message.importance.rawValue.capitalized)) }
        json.beginArray()
        for (name, value) in headers {
            json.beginObject()
            json.field("name", name)
            json.field("value", value)
            json.endObject()
        }
        json.endArray()
    }

    /// OWA's read link, with the id percent-encoded as Graph does.
    static func webLink(for id: String) -> String {
        var encoded = ""
        for character in id.unicodeScalars {
            switch character {
            case "=": encoded += "%3D"
            case "+": encoded += "%2B"
            case "/": encoded += "%2F"
            default: encoded.unicodeScalars.append(character)
            }
        }
        return "https://outlook.office365.com/owa/?ItemID=\(encoded)&exvsurl=1&viewmodel=ReadMessageItem"
    }
}

struct FolderWriter {
    var fields: [FolderField]

    /// `wellKnownName` is a beta property.
    init(fields: [FolderField]? = nil, beta: Bool) {
        self.fields = fields ?? FolderField.allCases.filter { beta || $0 != .wellKnownName }
    }

    func write(_ folder: EmulatedFolder, to json: inout JSONWriter) {
        json.beginObject()
        writeFields(folder, to: &json)
        json.endObject()
    }

    /// Writes the folder's properties into an object that is already open.
    func writeFields(_ folder: EmulatedFolder, to json: inout JSONWriter) {
        json.field("id", folder.id)
        for field in fields {
            switch field {
            case .displayName: json.field("displayName", folder.displayName)
            case .parentFolderId: json.field("parentFolderId", folder.parentFolderID)
            case .childFolderCount: json.field("childFolderCount", folder.childFolderCount)
            case .unreadItemCount: json.field("unreadItemCount", folder.unreadItemCount)
            case .totalItemCount: json.field("totalItemCount", folder.totalItemCount)
            case .isHidden: json.field("isHidden", folder.isHidden)
            case .wellKnownName: json.field("wellKnownName", folder.wellKnownName)
            }
        }
    }
}

struct UserWriter {
    var fields: [UserField] = UserField.allCases

    func write(_ owner: MailboxOwner, to json: inout JSONWriter) {
        for field in fields {
            json.key(field.rawValue)
            switch field {
            case .businessPhones:
                json.beginArray()
                json.endArray()
            case .displayName: json.string(owner.displayName)
            case .givenName: json.string(owner.givenName)
            case .jobTitle: json.string("Product Manager")
            case .mail: json.string(owner.address)
            case .mobilePhone: json.null()
            case .officeLocation: json.string("18/2111")
            case .preferredLanguage: json.string("en-US")
            case .surname: json.string(owner.surname)
            case .userPrincipalName: json.string(owner.address)
            }
        }
        json.field("id", owner.id)
    }
}
