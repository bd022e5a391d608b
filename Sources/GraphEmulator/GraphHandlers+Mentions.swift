import Foundation
import Hummingbird

/// Beta-only mentions: `mention` entities for a message whose body @-mentions the owner.
///
/// The emulator knows one fact per message, whether the owner is mentioned (`mentionsOwner`,
/// shown as `mentionsPreview.isMentioned`), so a message has one mention of the owner or
/// none. Per the beta `mention` page, `application`, `clientReference`, `deepLink`,
/// `mentionText` and `serverCreatedDateTime` "are not used … and defaulted as null" for
/// messages, although Graph's example fills `serverCreatedDateTime`; the emulator follows the
/// example for that one, as it is the observable payload.
enum MentionWriter {
    static func mentionID(of message: EmulatedMessage) -> String {
        GraphID.guid(seed: StableHash.mix(StableHash.string(message.immutableID), 0x3E47))
    }

    static func writeList(of message: EmulatedMessage, owner: MailboxOwner, entityBase: String, to json: inout JSONWriter) {
        json.beginArray()
        if message.mentionsOwner { write(message, owner: owner, entityBase: entityBase, to: &json) }
        json.endArray()
    }

    /// `entityBase` is the message's URL (`…/users('…')/messages('…')`) for `@odata.id`.
    static func write(_ message: EmulatedMessage, owner: MailboxOwner, entityBase: String, to json: inout JSONWriter) {
        json.beginObject()
        writeFields(message, owner: owner, entityBase: entityBase, to: &json)
        json.endObject()
    }

    /// The mention's properties, into an object that is already open.
    static func writeFields(_ message: EmulatedMessage, owner: MailboxOwner, entityBase: String, to json: inout JSONWriter) {
        let id = mentionID(of: message)
        let created = GraphDate.format(message.sent ?? message.received)
        json.field("@odata.id", "\(entityBase)/mentions('\(id)')")
        json.field("id", id)
        json.key("mentioned")
        json.beginObject()
        json.field("name", owner.displayName)
        json.field("address", owner.address)
        json.endObject()
        json.field("mentionText", nil as String?)
        json.field("clientReference", nil as String?)
        json.key("createdBy")
        json.beginObject()
        json.field("name", message.from?.name ?? "")
        json.field("address", message.from?.address ?? "")
        json.endObject()
        json.field("createdDateTime", created)
        json.field("serverCreatedDateTime", created)
        json.field("deepLink", nil as String?)
        json.field("application", nil as String?)
    }
}

extension GraphHandlers {
    /// `GET /beta/me/messages/{id}/mentions[/{mentionId}]`.
    func mentionRoute(messageID: String, _ path: [String], in folder: EmulatedFolder?) async throws -> Response {
        try require(.get)
        try validate(allowed: [])
        let message = try await mailbox.message(id: messageID)
        if let folder, message.parentFolderID != folder.id { throw GraphError.itemNotFound }
        let id = request.preferences.immutableIDs ? message.immutableID : message.id
        let entityBase = "\(request.linkBase)/beta/users('\(request.userID)')/messages('\(Self.encodedKey(id))')"
        let context = "\(request.metadataBase)#users('\(request.userID)')/messages('\(Self.encodedKey(id))')/mentions"
        var json = JSONWriter()
        switch path.count {
        case 0:
            json.beginObject()
            json.field("@odata.context", context)
            json.key("value")
            MentionWriter.writeList(of: message, owner: mailbox.owner, entityBase: entityBase, to: &json)
            json.endObject()
        case 1:
            guard message.mentionsOwner, path[0] == MentionWriter.mentionID(of: message) else { throw GraphError.itemNotFound }
            json.beginObject()
            json.field("@odata.context", "\(context)/$entity")
            MentionWriter.writeFields(message, owner: mailbox.owner, entityBase: entityBase, to: &json)
            json.endObject()
        default:
            throw GraphError.resourceNotFound(segment: path[1])
        }
        return respond(json)
    }

    /// `$expand=mentions` on a beta message: `mentions@odata.context` and `mentions`.
    func writeMentions(of message: EmulatedMessage, to json: inout JSONWriter) {
        let id = request.preferences.immutableIDs ? message.immutableID : message.id
        let key = Self.encodedKey(id)
        json.field("mentions@odata.context", "\(request.metadataBase)#users('\(request.userID)')/messages('\(key)')/mentions")
        json.key("mentions")
        MentionWriter.writeList(
            of: message, owner: mailbox.owner, entityBase: "\(request.linkBase)/beta/users('\(request.userID)')/messages('\(key)')",
            to: &json)
    }

    /// `mentionsPreview` exists only in beta: on v1.0, naming it in `$filter` or `$orderby` is
    /// the 400 of an unknown property, as Graph answers.
    func checkVersionedProperties(filter: MessageFilter?, order: MessageOrder?) throws(QueryError) {
        guard !isBeta else { return }
        let filtered = filter?.clauses.contains { $0.property == .mentionsPreview } ?? false
        let sorted = order?.keys.contains { $0.property == .mentionsPreview } ?? false
        if filtered || sorted { throw .unknownProperty("mentionsPreview") }
    }
}
