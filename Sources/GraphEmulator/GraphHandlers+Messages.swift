import Foundation
import Hummingbird

/// The actions a message answers to, by lower-cased short name.
enum MessageAction: String, Sendable {
    case move, copy, createReply = "createreply", createReplyAll = "createreplyall", createForward = "createforward"
    case reply, replyAll = "replyall", forward, send, permanentDelete = "permanentdelete"

    /// `move` or `microsoft.graph.move`, in any case.
    init?(segment: String) {
        var name = segment.lowercased()
        if name.hasPrefix("microsoft.graph.") { name.removeFirst("microsoft.graph.".count) }
        self.init(rawValue: name)
    }
}

/// Message routes: list (with `$filter`, `$orderby`, `$search`, `$expand`), get, PATCH,
/// DELETE, create draft, the actions of GRAPH.md §5 and `sendMail`, with the status codes the
/// documentation text gives (201 for move, copy and create*, 202 for reply, forward, send and
/// sendMail, 200 for PATCH, 204 for DELETE).
extension GraphHandlers {
    /// `/messages` and `/mailFolders/{id}/messages`: GET lists, POST creates a draft.
    func messageCollection(in folder: EmulatedFolder?) async throws -> Response {
        request.method == .post ? try await createDraft(in: folder) : try await listMessages(in: folder)
    }

    /// `/messages/{id}`: GET, PATCH, DELETE.
    func messageItem(_ id: String, in folder: EmulatedFolder?) async throws -> Response {
        switch request.method {
        case .get: return try await getMessage(id, in: folder)
        case .patch: return try await updateMessage(id, in: folder)
        case .delete: return try await deleteMessage(id, in: folder)
        default: throw GraphError.methodNotAllowed(request.method)
        }
    }

    // MARK: - Reading

    func listMessages(in folder: EmulatedFolder?) async throws -> Response {
        try require(.get)
        try validate(allowed: ["$select", "$top", "$skip", "$filter", "$orderby", "$count", "$search", "$expand"])
        let top = try query.integer("$top", range: 1...1000) ?? 10
        let skip = try query.integer("$skip", range: 0...Int.max) ?? 0
        let count = try query.boolean("$count") ?? false
        let selection = try messageSelection()
        let expansion = try MessageExpansion.parse(query.value("$expand"), beta: isBeta)
        let page: Mailbox.MessageListPage
        if let text = query.value("$search") {
            // Search results come in Graph's own order (newest sent first) and cannot be
            // re-sorted; the older documentation also forbids $filter with $search.
            if query.contains("$orderby") {
                throw GraphError.badRequest(
                    "The query parameter '$orderBy' is not supported with '$search'.", code: "SearchWithOrderBy")
            }
            if query.contains("$filter") {
                throw GraphError.badRequest(
                    "The query parameter '$filter' is not supported with '$search'.", code: "SearchWithFilter")
            }
            let search = try MessageSearch.parse(text)
            page = await mailbox.searchMessages(folderID: folder?.id, search: search, skip: skip, top: top, includeCount: count)
        } else {
            let filter = try query.value("$filter").map { text throws(QueryError) in try MessageFilter.parse(text) }
            let order = try query.value("$orderby").map { text throws(QueryError) in try MessageOrder.parse(text) }
            try MessageOrder.checkEfficiency(filter: filter, order: order)
            try checkVersionedProperties(filter: filter, order: order)
            page = await mailbox.listMessages(
                folderID: folder?.id, filter: filter, order: order ?? .newestFirst, skip: skip, top: top,
                includeCount: count)
        }

        var json = JSONWriter(capacity: 4096 + page.messages.count * 2048)
        json.beginObject()
        let collection = folder.map { "mailFolders('\($0.id)')/messages" } ?? "messages"
        let select = selection.map { "(\($0.names.joined(separator: ",")))" } ?? ""
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/\(collection)\(select)")
        if let total = page.totalCount { json.field("@odata.count", total) }
        if page.hasMore {
            let next = skip + page.messages.count
            json.field("@odata.nextLink", request.link(query: query.rawQuery(removing: ["$skip"], adding: [("$skip", String(next))])))
        }
        json.key("value")
        json.beginArray()
        let writer = messageWriter(fields: selection?.fields)
        for message in page.messages {
            json.beginObject()
            writer.writeFields(message, to: &json)
            writeExpansion(expansion, of: message, to: &json)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return respond(json, bodyPreference: true)
    }

    func getMessage(_ id: String, in folder: EmulatedFolder?) async throws -> Response {
        try require(.get)
        try validate(allowed: ["$select", "$expand"])
        let selection = try messageSelection()
        let expansion = try MessageExpansion.parse(query.value("$expand"), beta: isBeta)
        let message = try await message(id, in: folder)
        var json = JSONWriter(capacity: 8192)
        json.beginObject()
        let entity = selection.map { "messages(\($0.names.joined(separator: ",")))/$entity" } ?? "messages/$entity"
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/\(entity)")
        messageWriter(fields: selection?.fields).writeFields(message, to: &json)
        writeExpansion(expansion, of: message, to: &json)
        json.endObject()
        return respond(json, bodyPreference: true)
    }

    /// The message `id`, which must be in `folder` when the path goes through one.
    private func message(_ id: String, in folder: EmulatedFolder?) async throws -> EmulatedMessage {
        let message = try await mailbox.message(id: id)
        if let folder, message.parentFolderID != folder.id { throw GraphError.itemNotFound }
        return message
    }

    private func writeExpansion(_ expansion: MessageExpansion, of message: EmulatedMessage, to json: inout JSONWriter) {
        // Beta mentions: GraphHandlers+Mentions.swift.
        if expansion.mentions { writeMentions(of: message, to: &json) }
        guard expansion.attachments else { return }
        let immutable = request.preferences.immutableIDs
        let messageID = immutable ? message.immutableID : message.id
        json.field(
            "attachments@odata.context",
            "\(request.metadataBase)#users('\(request.userID)')/messages('\(messageID)')/attachments")
        json.key("attachments")
        AttachmentWriter.writeList(of: message, immutableIDs: immutable, beta: isBeta, to: &json)
    }

    // MARK: - Changing

    /// PATCH → 200 with the updated message.
    private func updateMessage(_ id: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        guard let body = try jsonBody() else { throw GraphError.badRequest("A PATCH needs the properties to change.") }
        let patch = try MessagePatch.parse(body, allowAttachments: false)
        _ = try await message(id, in: folder)
        let updated = try await mailbox.updateMessage(id: id, with: patch)
        return messageResponse(updated, status: .ok)
    }

    /// DELETE → 204: into Deleted Items (new regular id), or for good from there.
    private func deleteMessage(_ id: String, in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        _ = try await message(id, in: folder)
        try await mailbox.delete(id: id)
        return empty(.noContent)
    }

    /// `POST /messages` or `POST /mailFolders/{id}/messages` → 201 with the new draft.
    private func createDraft(in folder: EmulatedFolder?) async throws -> Response {
        try validate(allowed: [])
        let patch = try jsonBody(acceptsMIME: true).map { json throws(GraphError) in
            try MessagePatch.parse(json, allowAttachments: true)
        }
        let draft = try await mailbox.createDraft(patch ?? MessagePatch(), in: folder?.id ?? "drafts")
        return messageResponse(draft, status: .created)
    }

    func messageAction(_ action: MessageAction, messageID id: String, in folder: EmulatedFolder?) async throws -> Response {
        try require(.post)
        try validate(allowed: [])
        _ = try await message(id, in: folder)
        switch action {
        case .move, .copy:
            let body = try jsonBody()
            guard let destination = try body?.string("destinationId"), !destination.isEmpty else {
                throw GraphError.badRequest("The destinationId parameter is required.", code: "ErrorInvalidRequest")
            }
            let result = action == .move
                ? try await mailbox.move(id: id, to: destination)
                : try await mailbox.copy(id: id, to: destination)
            return messageResponse(result, status: .created, includeType: true)
        case .createReply, .createReplyAll, .createForward:
            let kind: ResponseKind = action == .createReply ? .reply : action == .createReplyAll ? .replyAll : .forward
            let parameters = try responseParameters(for: kind)
            let draft = try await mailbox.createResponseDraft(kind, to: id, parameters: parameters)
            return messageResponse(draft, status: .created)
        case .reply, .replyAll, .forward:
            let kind: ResponseKind = action == .reply ? .reply : action == .replyAll ? .replyAll : .forward
            let parameters = try responseParameters(for: kind)
            try await mailbox.sendResponse(kind, to: id, parameters: parameters)
            return empty(.accepted)
        case .send:
            // "This method requires Content-Length: 0" (message-send.md); a request without a
            // length at all (chunked) is answered as HTTP's 411.
            guard request.headers[.contentLength] != nil else {
                throw GraphError(status: .lengthRequired, code: "LengthRequired", message: "Content-Length is required for this request.")
            }
            if let body = try jsonBody(), body != .object([:]) {
                throw GraphError.badRequest("The send action takes no parameters.")
            }
            try await mailbox.sendDraft(id: id)
            return empty(.accepted)
        case .permanentDelete:
            try await mailbox.permanentlyDelete(id: id)
            return empty(.noContent)
        }
    }

    /// `POST /me/sendMail` → 202.
    func sendMail() async throws -> Response {
        try require(.post)
        try validate(allowed: [])
        guard let body = try jsonBody(acceptsMIME: true), let message = try body.object("message") else {
            throw GraphError.badRequest("The message parameter is required.", code: "ErrorInvalidRequest")
        }
        let patch = try MessagePatch.parse(message, allowAttachments: true)
        // "Specify it only if the parameter is false; default is true."
        let save = try body.bool("saveToSentItems") ?? true
        try await mailbox.sendMail(patch, saveToSentItems: save)
        return empty(.accepted)
    }

    // MARK: - Helpers

    /// `{comment, toRecipients, message}` of reply and forward actions; all optional here,
    /// the rules between them are checked by the mailbox.
    private func responseParameters(for kind: ResponseKind) throws(GraphError) -> ResponseParameters {
        guard let body = try jsonBody(acceptsMIME: true) else { return ResponseParameters() }
        var parameters = ResponseParameters()
        parameters.comment = try body.string("comment")
        if kind == .forward, let recipients = body["toRecipients"] {
            parameters.toRecipients = try MessagePatch.recipients(recipients, "toRecipients")
        }
        if let message = try body.object("message") {
            parameters.message = try MessagePatch.parse(message, allowAttachments: true)
        }
        return parameters
    }

    /// The JSON body, nil when empty. A body must be declared `application/json`.
    ///
    /// Routes that Graph also lets take a message as base64 MIME (`Content-Type: text/plain`:
    /// create draft, sendMail, reply and forward actions) pass `acceptsMIME`: there a body that
    /// is not base64 gets Graph's `ErrorMimeContentInvalidBase64String`, and well-formed MIME
    /// a 415, because the emulator does not parse MIME.
    func jsonBody(acceptsMIME: Bool = false) throws(GraphError) -> RequestJSON? {
        guard request.body.readableBytes > 0 else { return nil }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if acceptsMIME, type.hasPrefix("text/plain") {
            let text = String(decoding: request.body.readableBytesView, as: UTF8.self)
            let base64Alphabet = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")
            guard text.unicodeScalars.allSatisfy(base64Alphabet.contains),
                  Data(base64Encoded: text, options: .ignoreUnknownCharacters) != nil
            else {
                throw GraphError.badRequest("Invalid base64 string for MIME content.", code: "ErrorMimeContentInvalidBase64String")
            }
            throw GraphError(
                status: .unsupportedMediaType, code: "UnsupportedMediaType",
                message: "The emulator does not accept MIME content; send the message as JSON (Content-Type: application/json).")
        }
        guard type.hasPrefix("application/json") else {
            throw GraphError(
                status: .unsupportedMediaType, code: "UnsupportedMediaType",
                message: type.isEmpty
                    ? "A request body needs the header Content-Type: application/json."
                    : "The emulator accepts JSON request bodies only (Content-Type: application/json), not '\(type)'.")
        }
        return try RequestJSON.parse(request.body)
    }

    /// A message answer: the message under `users('…')/messages/$entity`, in the preferred body
    /// format (with `Preference-Applied`). move and copy add `@odata.type`, as in Graph's sample.
    private func messageResponse(_ message: EmulatedMessage, status: HTTPResponse.Status, includeType: Bool = false) -> Response {
        var json = JSONWriter(capacity: 8192)
        json.beginObject()
        json.field("@odata.context", "\(request.metadataBase)#users('\(request.userID)')/messages/$entity")
        messageWriter(fields: nil, delta: includeType).writeFields(message, to: &json)
        json.endObject()
        var response = respond(json, bodyPreference: true)
        response.status = status
        return response
    }

    private func empty(_ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers)
    }
}

/// `$expand` on messages: `attachments` (any case). Nested options are not supported.
struct MessageExpansion: Sendable, Equatable {
    var attachments = false
    /// Beta only: `mentions` is not a v1.0 navigation property.
    var mentions = false

    static func parse(_ text: String?, beta: Bool = false) throws(QueryError) -> MessageExpansion {
        var expansion = MessageExpansion()
        guard let text else { return expansion }
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            if name.contains("(") {
                throw .badRequest("The emulator does not support query options inside $expand ('\(name)').")
            }
            switch name.lowercased() {
            case "attachments": expansion.attachments = true
            case "mentions" where beta: expansion.mentions = true
            default:
                throw QueryError(
                    code: "RequestBroker--ParseUri",
                    message: "Could not find a navigation property named '\(name)' on type 'microsoft.graph.message'.")
            }
        }
        return expansion
    }
}
