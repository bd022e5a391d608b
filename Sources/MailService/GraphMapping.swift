import Foundation
import GraphAPI
import MailCache
import MailCore

/// Turns Graph resources into the cache's values. Unknown enum values fall back to Graph's
/// defaults instead of failing, because Microsoft adds values over time.
enum GraphMapping {
    /// The envelope properties a list needs: enough to draw a row, nothing of the body.
    static let envelopeSelect = [
        "id", "conversationId", "subject", "from", "receivedDateTime", "isRead", "flag", "hasAttachments",
        "importance", "inferenceClassification", "categories", "bodyPreview", "parentFolderId",
    ]

    static let contentSelect = ["body", "toRecipients", "ccRecipients", "from", "subject", "receivedDateTime"]

    static func folder(_ f: GraphMailFolder) -> Folder? {
        guard let id = f.id, f.removed == nil else { return nil }
        return Folder(id: FolderID(id), parentID: f.parentFolderId.map(FolderID.init),
                      displayName: f.displayName ?? "(unnamed)", wellKnown: nil,
                      unreadCount: max(0, f.unreadItemCount ?? 0), totalCount: max(0, f.totalItemCount ?? 0),
                      childFolderCount: max(0, f.childFolderCount ?? 0), isHidden: f.isHidden ?? false)
    }

    static func envelope(_ m: GraphMessage) -> EnvelopeChange? {
        guard let id = m.id, m.removed == nil else { return nil }
        return EnvelopeChange(
            id: MessageID(id),
            conversationID: m.conversationId,
            subject: m.subject,
            from: address(m.from ?? m.sender),
            receivedAt: m.receivedDateTime,
            isRead: m.isRead,
            flag: m.flag.map { FlagStatus(rawValue: $0.flagStatus ?? "") ?? .notFlagged },
            hasAttachments: m.hasAttachments,
            importance: m.importance.map { Importance(rawValue: $0.lowercased()) ?? .normal },
            inferenceClassification: m.inferenceClassification.map { InboxTab(rawValue: $0.lowercased()) ?? .focused },
            isMentioned: m.mentionsPreview?.isMentioned,
            categories: m.categories,
            bodyPreview: m.bodyPreview)
    }

    static func content(_ m: GraphMessage, id: MessageID) -> MessageContent {
        let format: MessageContent.Format = m.body?.contentType?.lowercased() == "html" ? .html : .text
        return MessageContent(messageID: id, format: format, body: m.body?.content ?? "",
                              toRecipients: (m.toRecipients ?? []).compactMap(address),
                              ccRecipients: (m.ccRecipients ?? []).compactMap(address))
    }

    static func attachment(_ a: GraphAttachment) -> AttachmentInfo? {
        guard let id = a.id else { return nil }
        let type = a.odataType?.lowercased() ?? ""
        let kind: AttachmentInfo.Kind = type.hasSuffix("itemattachment") ? .item
            : type.hasSuffix("referenceattachment") ? .reference : .file
        let contentType = a.contentType.flatMap { $0.isEmpty || $0 == "null" ? nil : $0 }
        return AttachmentInfo(id: id, name: a.name ?? "", contentType: contentType, size: max(0, a.size ?? 0),
                              isInline: a.isInline ?? false, kind: kind)
    }

    static func address(_ r: GraphRecipient?) -> EmailAddress? {
        guard let e = r?.emailAddress, e.name != nil || e.address != nil else { return nil }
        return EmailAddress(name: e.name ?? "", address: e.address ?? "")
    }
}
