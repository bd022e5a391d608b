import Foundation

/// Attachments as `$expand=attachments` writes them inside a message: the v1.0 attachment
/// types with their `@odata.type`; file attachments carry `contentBytes` (GRAPH.md §8: the
/// navigation property is expandable and expanded file attachments include their content).
/// Ids and content come from `AttachmentCatalog`, so they match the attachments routes.
enum ExpandedAttachmentWriter {
    static func write(
        _ served: AttachmentCatalog.Served, of message: EmulatedMessage, immutableIDs: Bool, to json: inout JSONWriter
    ) {
        let attachment = served.attachment
        json.beginObject()
        json.field("@odata.type", attachment.odataType)
        if case .file = attachment.kind { json.field("@odata.mediaContentType", attachment.contentType) }
        json.field("id", AttachmentCatalog.id(of: served, in: message, immutableIDs: immutableIDs))
        json.field("lastModifiedDateTime", GraphDate.format(attachment.lastModified))
        json.field("name", attachment.name)
        if case .item = attachment.kind {
            json.key("contentType")
            json.null()
        } else {
            json.field("contentType", attachment.contentType)
        }
        json.field("size", attachment.size)
        json.field("isInline", attachment.isInline)
        if case .file = attachment.kind {
            json.field("contentId", attachment.contentID)
            json.key("contentLocation")
            json.null()
            json.field("contentBytes", AttachmentCatalog.content(of: attachment, key: served.key).base64)
        }
        json.endObject()
    }
}
