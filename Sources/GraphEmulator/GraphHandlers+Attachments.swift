import Foundation
import Hummingbird

/// Properties of the `attachment` types that `$select` may name.
enum AttachmentField: String, CaseIterable, Sendable {
    case lastModifiedDateTime, name, contentType, size, isInline, contentId, contentLocation, contentBytes
    // Beta referenceAttachment properties.
    case sourceUrl, providerType, thumbnailUrl, previewUrl, permission, isFolder

    static let byLowercasedName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue.lowercased(), $0) })
    static let referenceOnly: Set<AttachmentField> = [.sourceUrl, .providerType, .thumbnailUrl, .previewUrl, .permission, .isFolder]
}

/// Writes attachments as Graph does: `fileAttachment` with its base64 `contentBytes`,
/// `itemAttachment` with a null `contentType` (and its message when expanded),
/// `referenceAttachment` with its link on beta. Also used for `$expand=attachments` on messages.
enum AttachmentWriter {
    /// A message's attachments as a JSON array: the value of `attachments` under
    /// `$expand=attachments` (file attachments with their `contentBytes`).
    static func writeList(of message: EmulatedMessage, immutableIDs: Bool, beta: Bool, to json: inout JSONWriter) {
        json.beginArray()
        for served in AttachmentCatalog.served(message) {
            write(served, of: message, immutableIDs: immutableIDs, beta: beta, to: &json)
        }
        json.endArray()
    }

    static func write(
        _ served: AttachmentCatalog.Served, of message: EmulatedMessage, immutableIDs: Bool, beta: Bool = false,
        fields: [AttachmentField]? = nil, itemContext: String? = nil, to json: inout JSONWriter
    ) {
        json.beginObject()
        writeFields(served, of: message, immutableIDs: immutableIDs, beta: beta, fields: fields, itemContext: itemContext, to: &json)
        json.endObject()
    }

    /// The properties, into an object that is already open. `itemContext` (the context URL of
    /// the attached item) expands an item attachment's message.
    static func writeFields(
        _ served: AttachmentCatalog.Served, of message: EmulatedMessage, immutableIDs: Bool, beta: Bool,
        fields: [AttachmentField]?, itemContext: String?, to json: inout JSONWriter
    ) {
        let attachment = served.attachment
        json.field("@odata.type", attachment.odataType)
        if case .file = attachment.kind { json.field("@odata.mediaContentType", mediaType(of: attachment)) }
        json.field("id", AttachmentCatalog.id(of: served, in: message, immutableIDs: immutableIDs))
        let wanted = fields ?? AttachmentField.allCases
        for field in wanted {
            switch (field, attachment.kind) {
            case (.lastModifiedDateTime, _): json.field("lastModifiedDateTime", GraphDate.format(attachment.lastModified))
            case (.name, _): json.field("name", attachment.name)
            case (.contentType, .item): json.field("contentType", nil as String?)
            case (.contentType, _): json.field("contentType", attachment.contentType.isEmpty ? nil : attachment.contentType)
            case (.size, _): json.field("size", attachment.size)
            case (.isInline, _): json.field("isInline", attachment.isInline)
            case (.contentId, .file): json.field("contentId", attachment.contentID)
            case (.contentLocation, .file): json.field("contentLocation", nil as String?)
            case (.contentBytes, .file):
                json.field("contentBytes", AttachmentCatalog.content(of: attachment, key: served.key).base64)
            case (.sourceUrl, .reference(let link)) where beta: json.field("sourceUrl", link.sourceURL)
            case (.providerType, .reference(let link)) where beta: json.field("providerType", link.providerType)
            case (.thumbnailUrl, .reference) where beta: json.field("thumbnailUrl", nil as String?)
            case (.previewUrl, .reference) where beta: json.field("previewUrl", nil as String?)
            case (.permission, .reference(let link)) where beta: json.field("permission", link.permission)
            case (.isFolder, .reference(let link)) where beta: json.field("isFolder", link.isFolder)
            default: continue
            }
        }
        if let itemContext, case .item(let item) = attachment.kind {
            json.field("item@odata.context", itemContext)
            json.key("item")
            writeItem(item, to: &json)
        }
    }

    static func mediaType(of attachment: EmulatedMessage.Attachment) -> String {
        attachment.contentType.isEmpty ? "application/octet-stream" : attachment.contentType
    }

    /// The attached message, shaped like Graph's expanded item (its `id` is empty there too).
    static func writeItem(_ item: AttachedMessage, to json: inout JSONWriter) {
        json.beginObject()
        json.field("@odata.type", "#microsoft.graph.message")
        json.field("id", "")
        for key in ["createdDateTime", "lastModifiedDateTime", "receivedDateTime", "sentDateTime"] {
            json.field(key, GraphDate.format(item.sent))
        }
        json.field("hasAttachments", false)
        json.field("internetMessageId", item.internetMessageID)
        json.field("subject", item.subject)
        json.field("bodyPreview", BodyComposer.preview(fromBody: item.body))
        json.field("importance", item.importance.rawValue)
        json.field("isDeliveryReceiptRequested", false)
        json.field("isReadReceiptRequested", false)
        json.field("isRead", true)
        json.field("isDraft", false)
        json.key("internetMessageHeaders")
        json.beginArray()
        json.endArray()
        json.key("body")
        json.beginObject()
        json.field("contentType", item.body.contentType.rawValue)
        json.field("content", item.body.content)
        json.endObject()
        json.key("sender")
        MessageWriter.writeRecipient(item.from, to: &json)
        json.key("from")
        MessageWriter.writeRecipient(item.from, to: &json)
        json.key("toRecipients")
        MessageWriter.writeRecipients(item.toRecipients, to: &json)
        json.key("ccRecipients")
        MessageWriter.writeRecipients(item.ccRecipients, to: &json)
        json.key("flag")
        MessageWriter.writeFlag(.notFlagged, to: &json)
        json.endObject()
    }
}

/// The request bodies that create attachments.
enum AttachmentPayload {
    /// "under 3 MB" for a single POST (GRAPH.md §8); larger files need an upload session.
    static let maximumPostedBytes = 3 * 1024 * 1024
    /// The upload-session range: from 3 MB up to Exchange's configurable 150 MB message limit.
    static let uploadSizes = (3 * 1024 * 1024)...(150 * 1024 * 1024)

    /// `POST …/attachments`: a file, item or reference attachment.
    static func parse(_ json: RequestJSON, now: Int64) throws(GraphError) -> EmulatedMessage.Attachment {
        guard json.objectValue != nil else { throw RequestJSON.unreadable }
        let type = (try json.string("@odata.type") ?? "").lowercased().replacingOccurrences(of: "#", with: "")
        switch type {
        case "microsoft.graph.fileattachment": return try file(json, now: now)
        case "microsoft.graph.itemattachment": return try item(json, now: now)
        case "microsoft.graph.referenceattachment": return try reference(json, now: now)
        case "":
            throw GraphError.badRequest(
                "The attachment needs an @odata.type: #microsoft.graph.fileAttachment, itemAttachment or referenceAttachment.",
                code: "RequestBodyRead")
        default:
            throw GraphError.badRequest("'\(type)' is not an attachment type.", code: "RequestBodyRead")
        }
    }

    private static func file(_ json: RequestJSON, now: Int64) throws(GraphError) -> EmulatedMessage.Attachment {
        guard let name = try json.string("name"), !name.isEmpty else {
            throw GraphError.badRequest("A file attachment needs a name.", code: "ErrorInvalidRequest")
        }
        guard let encoded = try json.string("contentBytes") else {
            throw GraphError.badRequest("A file attachment needs contentBytes.", code: "ErrorInvalidRequest")
        }
        guard let data = Data(base64Encoded: encoded) else {
            throw GraphError.badRequest("The contentBytes of '\(name)' is not valid base64.", code: "ErrorInvalidRequest")
        }
        guard data.count < maximumPostedBytes else {
            throw GraphError(
                status: .contentTooLarge, code: "RequestEntityTooLarge",
                message: "Attachments of 3 MB or more cannot be added in one request; use createUploadSession.")
        }
        var attachment = EmulatedMessage.Attachment(
            id: nil, name: name, contentType: try json.string("contentType") ?? contentType(forName: name), size: data.count,
            isInline: try json.bool("isInline") ?? false, lastModified: now, contentBytes: encoded)
        attachment.contentID = try json.string("contentId")
        return attachment
    }

    private static func item(_ json: RequestJSON, now: Int64) throws(GraphError) -> EmulatedMessage.Attachment {
        guard let itemJSON = try json.object("item") else {
            throw GraphError.badRequest("An item attachment needs an item.", code: "ErrorInvalidRequest")
        }
        let itemType = (try itemJSON.string("@odata.type") ?? "microsoft.graph.message").lowercased()
            .replacingOccurrences(of: "#", with: "")
        guard itemType == "microsoft.graph.message" else {
            throw GraphError.badRequest("The emulator attaches messages only, not '\(itemType)'.", code: "ErrorInvalidRequest")
        }
        let subject = try itemJSON.string("subject") ?? ""
        let body = try itemJSON.object("body").map { value throws(GraphError) in try MessagePatch.body(value, "body") }
            ?? EmulatedMessage.Body(contentType: .text, content: "")
        var from: EmulatedMessage.Recipient?
        let fromJSON = try itemJSON.object("from")
        let senderJSON = try itemJSON.object("sender")
        if let value = fromJSON ?? senderJSON { from = try MessagePatch.recipient(value, "from") }
        let to = try itemJSON["toRecipients"].map { value throws(GraphError) in try MessagePatch.recipients(value, "toRecipients") } ?? []
        let cc = try itemJSON["ccRecipients"].map { value throws(GraphError) in try MessagePatch.recipients(value, "ccRecipients") } ?? []
        let sent = try itemJSON.string("sentDateTime").flatMap(GraphDate.parse) ?? now
        let message = AttachedMessage(
            subject: subject, from: from, toRecipients: to, ccRecipients: cc, sent: sent, body: body, importance: .normal,
            internetMessageID: "<\(String(StableHash.string(subject + String(sent)), radix: 16))@attached.local>")
        var attachment = EmulatedMessage.Attachment(
            id: nil, name: try json.string("name") ?? subject, contentType: "", size: message.mime.count,
            isInline: try json.bool("isInline") ?? false, lastModified: now, contentBytes: nil)
        attachment.kind = .item(message)
        return attachment
    }

    private static func reference(_ json: RequestJSON, now: Int64) throws(GraphError) -> EmulatedMessage.Attachment {
        guard let name = try json.string("name"), !name.isEmpty, let source = try json.string("sourceUrl"), !source.isEmpty else {
            throw GraphError.badRequest("A reference attachment needs a name and a sourceUrl.", code: "ErrorInvalidRequest")
        }
        let link = EmulatedMessage.Attachment.Link(
            sourceURL: source, providerType: try json.string("providerType") ?? "other",
            permission: try json.string("permission") ?? "other", isFolder: try json.bool("isFolder") ?? false)
        var attachment = EmulatedMessage.Attachment(
            id: nil, name: name, contentType: try json.string("contentType") ?? "", size: 256 + source.utf8.count,
            isInline: false, lastModified: now, contentBytes: nil)
        attachment.kind = .reference(link)
        return attachment
    }

    /// A MIME type from the file extension, for attachments posted without `contentType`.
    static func contentType(forName name: String) -> String {
        let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
        if let known = GeneratorText.attachmentKinds.first(where: { $0.ext == ext }) { return known.type }
        let more = ["gif": "image/gif", "zip": "application/zip", "html": "text/html", "json": "application/json",
                    "eml": "message/rfc822", "mp4": "video/mp4"]
        return more[ext] ?? "application/octet-stream"
    }
}

extension GraphHandlers {
    /// `/messages/{id}/attachments[…]`; `path` starts after `attachments`.
    func attachmentRoute(messageID: String, _ path: [String], in folder: EmulatedFolder?) async throws -> Response {
        guard let head = path.first else {
            switch request.method {
            case .get: return try await listAttachments(messageID: messageID, in: folder)
            case .post: return try await addAttachment(messageID: messageID, in: folder)
            default: throw GraphError.methodNotAllowed(request.method)
            }
        }
        let lowered = head.lowercased()
        if path.count == 1, lowered == "createuploadsession" || lowered == "microsoft.graph.createuploadsession" {
            try require(.post)
            return try await createUploadSession(messageID: messageID, in: folder)
        }
        if path.count == 2, path[1].lowercased() == "$value" {
            try require(.get)
            return try await attachmentValue(messageID: messageID, attachmentID: head, in: folder)
        }
        guard path.count == 1 else { throw GraphError.resourceNotFound(segment: path[1]) }
        switch request.method {
        case .get: return try await getAttachment(messageID: messageID, attachmentID: head, in: folder)
        case .delete:
            try validate(allowed: [])
            let message = try await attachmentMessage(messageID, in: folder)
            _ = try findAttachment(head, in: message)
            try await mailbox.removeAttachment(head, fromMessage: messageID)
            return Response(status: .noContent)
        default: throw GraphError.methodNotAllowed(request.method)
        }
    }

    private func attachmentMessage(_ id: String, in folder: EmulatedFolder?) async throws -> EmulatedMessage {
        let message = try await mailbox.message(id: id)
        if let folder, message.parentFolderID != folder.id { throw GraphError.itemNotFound }
        return message
    }

    private func attachmentSelection() throws -> (fields: [AttachmentField], names: [String])? {
        try Selection.parse(
            query.value("$select"), fields: AttachmentField.byLowercasedName, type: "microsoft.graph.attachment",
            allowed: { isBeta || !AttachmentField.referenceOnly.contains($0) })
    }

    /// `$expand=microsoft.graph.itemattachment/item` (the cast may be left out).
    private func expandsItem() throws -> Bool {
        guard let text = query.value("$expand") else { return false }
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard name == "microsoft.graph.itemattachment/item" || name == "item" else {
                throw QueryError(
                    code: "RequestBroker--ParseUri",
                    message: "Could not find a navigation property named '\(part)' on type 'microsoft.graph.attachment'.")
            }
        }
        return true
    }

    /// `…/messages('id')/attachments` with the id as the client addressed it (percent-encoded).
    private func attachmentsContext(_ message: EmulatedMessage) -> String {
        let id = request.preferences.immutableIDs ? message.immutableID : message.id
        return "\(request.metadataBase)#users('\(request.userID)')/messages('\(Self.encodedKey(id))')/attachments"
    }

    /// Ids inside OData keys in context URLs are percent-encoded (`'AAMkAGUzY5QKjAAA%3D'`).
    static func encodedKey(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    private func itemContext(_ served: AttachmentCatalog.Served, of message: EmulatedMessage, expand: Bool) -> String? {
        guard expand, case .item = served.attachment.kind else { return nil }
        let attachmentID = AttachmentCatalog.id(of: served, in: message, immutableIDs: request.preferences.immutableIDs)
        return attachmentsContext(message) + "('\(Self.encodedKey(attachmentID))')/microsoft.graph.itemAttachment/item/$entity"
    }

    /// GET list. `$filter` is ignored, as the known-issues page documents for attachments.
    private func listAttachments(messageID: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: ["$select", "$expand", "$filter", "$top", "$skip", "$count"])
        let selection = try attachmentSelection()
        let expand = try expandsItem()
        let top = try query.integer("$top", range: 1...1000) ?? 1000
        let skip = try query.integer("$skip", range: 0...Int.max) ?? 0
        let message = try await attachmentMessage(messageID, in: folder)
        let all = AttachmentCatalog.served(message)
        let page = all.dropFirst(skip).prefix(top)
        var json = JSONWriter(capacity: 4096)
        json.beginObject()
        let select = selection.map { "(\($0.names.joined(separator: ",")))" } ?? ""
        json.field("@odata.context", attachmentsContext(message) + select)
        if try query.boolean("$count") == true { json.field("@odata.count", all.count) }
        if skip + page.count < all.count {
            let next = query.rawQuery(removing: ["$skip"], adding: [("$skip", String(skip + page.count))])
            json.field("@odata.nextLink", request.link(query: next))
        }
        json.key("value")
        json.beginArray()
        for served in page {
            AttachmentWriter.write(
                served, of: message, immutableIDs: request.preferences.immutableIDs, beta: isBeta, fields: selection?.fields,
                itemContext: itemContext(served, of: message, expand: expand), to: &json)
        }
        json.endArray()
        json.endObject()
        return respond(json)
    }

    private func findAttachment(_ attachmentID: String, in message: EmulatedMessage) throws -> AttachmentCatalog.Served {
        if let served = AttachmentCatalog.find(attachmentID, in: message) { return served }
        throw GraphID.isPlausible(attachmentID) ? GraphError.itemNotFound : GraphError.malformedID
    }

    private func getAttachment(messageID: String, attachmentID: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: ["$select", "$expand"])
        let selection = try attachmentSelection()
        let expand = try expandsItem()
        let message = try await attachmentMessage(messageID, in: folder)
        let served = try findAttachment(attachmentID, in: message)
        return attachmentResponse(served, of: message, fields: selection?.fields, expand: expand, status: .ok)
    }

    private func attachmentResponse(
        _ served: AttachmentCatalog.Served, of message: EmulatedMessage, fields: [AttachmentField]?, expand: Bool,
        status: HTTPResponse.Status
    ) -> Response {
        var json = JSONWriter(capacity: 1024 + served.attachment.size * 4 / 3)
        json.beginObject()
        json.field("@odata.context", attachmentsContext(message) + "/$entity")
        AttachmentWriter.writeFields(
            served, of: message, immutableIDs: request.preferences.immutableIDs, beta: isBeta, fields: fields,
            itemContext: itemContext(served, of: message, expand: expand), to: &json)
        json.endObject()
        var response = respond(json)
        response.status = status
        return response
    }

    /// `/$value`: the raw bytes, streamed in chunks with the attachment's own content type.
    /// An attached message comes as MIME; a reference attachment has no content (405).
    private func attachmentValue(messageID: String, attachmentID: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        let message = try await attachmentMessage(messageID, in: folder)
        let served = try findAttachment(attachmentID, in: message)
        let content: AttachmentBytes
        let type: String
        switch served.attachment.kind {
        case .reference:
            throw GraphError(
                status: .methodNotAllowed, code: "ErrorInvalidRequest",
                message: "A reference attachment has no content to download; follow its sourceUrl instead.")
        case .item(let item):
            content = .stored(item.mime)
            type = "message/rfc822"
        case .file:
            content = AttachmentCatalog.content(of: served.attachment, key: served.key)
            type = AttachmentWriter.mediaType(of: served.attachment)
        }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentLength] = String(content.count)
        let chunk = 64 * 1024
        let body = ResponseBody(contentLength: content.count) { writer in
            var offset = 0
            while offset < content.count {
                let end = min(offset + chunk, content.count)
                try await writer.write(ByteBuffer(bytes: content.bytes(in: offset..<end)))
                offset = end
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// POST → 201 with the new attachment.
    private func addAttachment(messageID: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        guard let json = try jsonBody() else { throw GraphError.badRequest("The attachment to add is missing.", code: "ErrorInvalidRequest") }
        _ = try await attachmentMessage(messageID, in: folder)
        let attachment = try AttachmentPayload.parse(json, now: GraphDate.seconds(await mailbox.currentDate))
        let (message, attachmentID) = try await mailbox.addAttachment(attachment, toMessage: messageID)
        guard let served = AttachmentCatalog.find(attachmentID, in: message) else { throw GraphError.itemNotFound }
        return attachmentResponse(served, of: message, fields: nil, expand: false, status: .created)
    }

    /// `createUploadSession` → 201 with an `uploadSession` whose URL takes the byte ranges.
    private func createUploadSession(messageID: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        guard let body = try jsonBody(), let item = try body.object("AttachmentItem") else {
            throw GraphError.badRequest("createUploadSession needs an AttachmentItem.", code: "ErrorInvalidRequest")
        }
        let type = try item.string("attachmentType")?.lowercased() ?? "file"
        guard type == "file" else {
            throw GraphError.badRequest(
                "Upload sessions create file attachments only; attachmentType '\(type)' is not supported.", code: "ErrorInvalidRequest")
        }
        guard let name = try item.string("name"), !name.isEmpty else {
            throw GraphError.badRequest("The AttachmentItem needs a name.", code: "ErrorInvalidRequest")
        }
        guard case .number(let sizeValue)? = item["size"], sizeValue >= 0, sizeValue.rounded() == sizeValue else {
            throw GraphError.badRequest("The AttachmentItem needs its size in bytes.", code: "ErrorInvalidRequest")
        }
        let size = Int(sizeValue)
        guard size >= AttachmentPayload.uploadSizes.lowerBound else {
            throw GraphError.badRequest(
                "Attachment size should not be less than 3 MB; add smaller files with a POST to the attachments collection.",
                code: "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize")
        }
        guard size <= AttachmentPayload.uploadSizes.upperBound else {
            throw GraphError.badRequest("The message exceeds the maximum supported size.", code: "ErrorMessageSizeExceeded")
        }
        _ = try await attachmentMessage(messageID, in: folder)
        let session = try await mailbox.createUploadSession(
            messageID: messageID, name: name, size: size,
            contentType: try item.string("contentType") ?? AttachmentPayload.contentType(forName: name),
            isInline: try item.bool("isInline") ?? false, contentID: try item.string("contentId"))
        let messageKey = Self.encodedKey(try await mailbox.message(id: messageID).id)
        let uploadURL = "\(request.linkBase)/api/v2.0/Users('\(request.userID)')/Messages('\(messageKey)')/AttachmentSessions('"
            + "\(Self.encodedKey(session.id))')?authtoken=\(session.token)"
        var json = JSONWriter()
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#microsoft.graph.uploadSession")
        json.field("uploadUrl", uploadURL)
        json.field("expirationDateTime", GraphDate.format(GraphDate.seconds(session.expiration)))
        json.key("nextExpectedRanges")
        json.beginArray()
        json.string("0-")
        json.endArray()
        json.endObject()
        var response = respond(json)
        response.status = .created
        return response
    }
}
