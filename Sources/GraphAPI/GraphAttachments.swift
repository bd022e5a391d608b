import Foundation

/// One attachment as `GET /messages/{id}/attachments` lists it (OpenAPI `microsoft.graph.attachment`
/// and its derived `fileAttachment`, `itemAttachment`, `referenceAttachment`). Lenient like every
/// resource here: documented examples send `"null"` strings and placeholders.
public struct GraphAttachment: Decodable, Sendable, Hashable {
    public var odataType: String?
    public var id: String?
    public var name: String?
    public var contentType: String?
    public var size: Int?
    public var isInline: Bool?

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type", id, name, contentType, size, isInline
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func string(_ key: CodingKeys) -> String? { (try? c.decodeIfPresent(LenientString.self, forKey: key))?.value }
        odataType = string(.odataType)
        id = string(.id)
        name = string(.name)
        contentType = string(.contentType)
        size = (try? c.decodeIfPresent(Int.self, forKey: .size)) ?? string(.size).flatMap { Double($0) }.map { Int($0) }
        isInline = (try? c.decodeIfPresent(LenientBool.self, forKey: .isInline))?.value
    }
}

extension GraphClient {
    /// What an attachment list asks for: never `contentBytes`, which would bring every file's
    /// content along (up to 3 MB each) when the reader only shows names and sizes.
    static let attachmentSelect = ["name", "contentType", "size", "isInline"]

    /// The attachments of a message, without their content, every page of them.
    public func attachments(messageID: String) async throws -> [GraphAttachment] {
        var result: [GraphAttachment] = []
        var link: String?
        repeat {
            let page: GraphPage<GraphAttachment> = try await get(
                link: link, path: "\(configuration.mailboxPath)/messages/\(Self.pathSegment(messageID))/attachments",
                query: [("$select", Self.attachmentSelect.joined(separator: ","))])
            result += page.value
            link = page.nextLink
        } while link != nil
        return result
    }
}
