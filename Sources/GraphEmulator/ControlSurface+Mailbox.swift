import Foundation
import Hummingbird

/// Mailbox changes made "by another client" (new mail, updates, moves) and the mailbox dump.
extension ControlSurface {
    /// `POST /_emulator/deliver[?folder=…]`: a Graph `message` JSON arrives, in the Inbox by
    /// default (where Focused Inbox overrides apply) or in the folder named by id, well-known
    /// name or display-name path (`Inbox/Projects`).
    ///
    /// Besides the writable message properties, delivery takes `receivedDateTime`,
    /// `conversationId` and beta's `mentionsPreview` (`{"isMentioned": true}`).
    func deliver(_ request: Request, folder: String?) async throws -> Response {
        guard let body = try await Self.body(of: request), var members = body.objectValue else {
            throw Failure.badRequest("Expected a Graph message JSON object.")
        }
        // Members that belong to an arriving message but not to a PATCH.
        var received: Date?
        var conversationID: String?
        var mentionsOwner = false
        for key in members.keys {
            switch key.lowercased() {
            case "receiveddatetime":
                guard let text = try RequestJSON.object(members).string(key), let seconds = GraphDate.parse(text) else {
                    throw Failure.badRequest("receivedDateTime must be an ISO 8601 date-time.")
                }
                received = GraphDate.date(seconds)
            case "conversationid":
                conversationID = try RequestJSON.object(members).string(key)
            case "mentionspreview":
                mentionsOwner = try members[key]?.bool("isMentioned") ?? false
            case "hasattachments", "isdraft", "id", "parentfolderid":
                throw Failure.badRequest("'\(key)' is set by the mailbox, not by the message delivered.")
            default:
                continue
            }
            members[key] = nil
        }
        let patch = try MessagePatch.parse(.object(members), allowAttachments: true)
        guard let from = patch.from ?? patch.sender else {
            throw Failure.badRequest("A delivered message needs a sender: \"from\": {\"emailAddress\": {\"address\": …}}.")
        }
        let mailbox = runtime.mailbox
        let target = try await resolveFolder(folder ?? "inbox", in: mailbox)
        let now = GraphDate.seconds(Date())
        // A flag with a due date but no start date is refused before anything is delivered.
        if let flag = patch.flag { _ = try MessagePatch.merge(flag, into: .notFlagged, now: now) }
        var classification = patch.inferenceClassification ?? .focused
        if patch.inferenceClassification == nil, target.wellKnownName == "inbox" {
            // Exchange's classifier decides when the message does not say (overrides win anyway).
            classification = await mailbox.classification(for: from.address)
        }
        var message = try await mailbox.deliver(
            NewMessage(
                subject: patch.subject ?? "", from: from, toRecipients: patch.toRecipients ?? [],
                ccRecipients: patch.ccRecipients ?? [], body: patch.body ?? .init(contentType: .text, content: ""),
                receivedDateTime: received, isRead: patch.isRead ?? false, importance: patch.importance ?? .normal,
                inferenceClassification: classification, categories: patch.categories ?? [], mentionsOwner: mentionsOwner,
                conversationID: conversationID, attachments: patch.attachments ?? []),
            to: target.id)
        let hasExtras = patch.flag != nil || patch.sender != nil || patch.bccRecipients != nil || patch.replyTo != nil
            || patch.internetMessageID != nil || patch.isReadReceiptRequested != nil || patch.isDeliveryReceiptRequested != nil
        if hasExtras {
            message = try await mailbox.update(id: message.id) { message in
                if let sender = patch.sender { message.sender = sender }
                if let bcc = patch.bccRecipients { message.bccRecipients = bcc }
                if let replyTo = patch.replyTo { message.replyTo = replyTo }
                if let internetMessageID = patch.internetMessageID { message.internetMessageID = internetMessageID }
                if let requested = patch.isReadReceiptRequested { message.isReadReceiptRequested = requested }
                if let requested = patch.isDeliveryReceiptRequested { message.isDeliveryReceiptRequested = requested }
                if let flag = patch.flag, let merged = try? MessagePatch.merge(flag, into: message.flag, now: now) {
                    message.flag = merged
                }
            }
        }
        return await messageResponse(message, in: mailbox, status: .created)
    }

    /// `POST /_emulator/messages/{id}/update|move|delete`, by regular or immutable id.
    func messageChange(_ request: Request, id: String, action: String) async throws -> Response {
        let mailbox = runtime.mailbox
        let body = try await Self.body(of: request)
        switch action {
        case "update":
            guard let body, body.objectValue != nil else { throw Failure.badRequest("Expected a partial message JSON object.") }
            let message = try await mailbox.updateMessage(id: id, with: try MessagePatch.parse(body, allowAttachments: false))
            return await messageResponse(message, in: mailbox)
        case "move":
            guard let destination = try body?.string("destinationId"), !destination.isEmpty else {
                throw Failure.badRequest("Expected {\"destinationId\": \"…\"} (a folder id, well-known name or path).")
            }
            let target = try await resolveFolder(destination, in: mailbox)
            let message = try await mailbox.move(id: id, to: target.id)
            return await messageResponse(message, in: mailbox)
        case "delete":
            let message = try await mailbox.message(id: id)
            if try body?.bool("permanent") == true {
                try await mailbox.permanentlyDelete(id: id)
                return Self.json(["deleted": message.immutableID, "permanent": true])
            }
            try await mailbox.delete(id: id)
            // Deleting outside Deleted Items moves the message there under a new id.
            if let moved = try? await mailbox.message(id: message.immutableID) {
                return await messageResponse(moved, in: mailbox)
            }
            return Self.json(["deleted": message.immutableID, "permanent": true])
        default:
            throw Failure.notFound("Messages take update, move or delete, not '\(action)'.")
        }
    }

    /// A folder by id, well-known name (any case) or display-name path.
    func resolveFolder(_ key: String, in mailbox: Mailbox) async throws -> EmulatedFolder {
        if let folder = await mailbox.folder(key), folder.id != mailbox.rootFolderID { return folder }
        let lowered = key.lowercased()
        if let folder = await mailbox.allFolders(includeHidden: true).first(where: { $0.path.lowercased() == lowered }) {
            return folder
        }
        throw Failure.notFound("No folder has the id, well-known name or path '\(key)'.")
    }

    private func messageResponse(_ message: EmulatedMessage, in mailbox: Mailbox, status: HTTPResponse.Status = .ok) async -> Response {
        let paths = Dictionary(uniqueKeysWithValues: await mailbox.allFolders(includeHidden: true).map { ($0.id, $0.path) })
        var json = JSONWriter(capacity: 1024)
        Self.write(message, folderPaths: paths, to: &json)
        return Self.bytes(json.bytes, status: status)
    }

    /// `GET /_emulator/mailbox[?folder=…]`: the whole state for tests to compare.
    func mailboxDump(folder: String?) async throws -> Response {
        let mailbox = runtime.mailbox
        let only = try await folder.asyncMap { try await resolveFolder($0, in: mailbox) }
        let snapshot = await mailbox.snapshot()
        let overrides = await mailbox.classificationOverrides()
        let paths = Dictionary(uniqueKeysWithValues: snapshot.folders.map { ($0.id, $0.path) })
        var json = JSONWriter(capacity: 4096 + snapshot.messages.count * 600)
        json.beginObject()
        json.key("owner")
        json.beginObject()
        json.field("id", snapshot.owner.id)
        json.field("displayName", snapshot.owner.displayName)
        json.field("address", snapshot.owner.address)
        json.endObject()
        json.field("rootFolderId", snapshot.rootFolderID)
        json.key("folders")
        json.beginArray()
        for folder in snapshot.folders where only == nil || folder.id == only?.id {
            json.beginObject()
            json.field("id", folder.id)
            json.field("displayName", folder.displayName)
            json.field("parentFolderId", folder.parentFolderID)
            json.field("wellKnownName", folder.wellKnownName)
            json.field("path", folder.path)
            json.field("isHidden", folder.isHidden)
            json.field("childFolderCount", folder.childFolderCount)
            json.field("totalItemCount", folder.totalItemCount)
            json.field("unreadItemCount", folder.unreadItemCount)
            json.endObject()
        }
        json.endArray()
        json.key("messages")
        json.beginArray()
        for message in snapshot.messages where only == nil || message.parentFolderID == only?.id {
            Self.write(message, folderPaths: paths, to: &json)
        }
        json.endArray()
        json.key("classificationOverrides")
        json.beginArray()
        for override in overrides {
            json.beginObject()
            json.field("id", override.id)
            json.field("classifyAs", override.classifyAs.rawValue)
            json.field("senderName", override.sender.name)
            json.field("senderAddress", override.sender.address)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return Self.bytes(json.bytes)
    }

    /// The dump form of a message: ids, place and the state clients change.
    static func write(_ message: EmulatedMessage, folderPaths: [String: String], to json: inout JSONWriter) {
        json.beginObject()
        json.field("id", message.id)
        json.field("immutableId", message.immutableID)
        json.field("parentFolderId", message.parentFolderID)
        json.field("folder", folderPaths[message.parentFolderID])
        json.field("changeKey", message.changeKey)
        json.field("conversationId", message.conversationID)
        json.field("subject", message.subject)
        json.field("from", message.from?.address)
        json.field("receivedDateTime", GraphDate.format(message.received))
        json.field("isRead", message.isRead)
        json.field("isDraft", message.isDraft)
        json.field("importance", message.importance.rawValue)
        json.field("inferenceClassification", message.inferenceClassification.rawValue)
        json.key("flag")
        json.beginObject()
        json.field("flagStatus", message.flag.status.rawValue)
        for (name, value) in [("startDateTime", message.flag.start), ("dueDateTime", message.flag.due),
                              ("completedDateTime", message.flag.completed)] {
            if let value { json.field(name, GraphDate.format(value)) }
        }
        json.endObject()
        json.key("categories")
        json.beginArray()
        for category in message.categories { json.string(category) }
        json.endArray()
        json.field("hasAttachments", message.hasAttachments)
        json.field("mentionsOwner", message.mentionsOwner)
        json.endObject()
    }
}

extension Optional {
    fileprivate func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
