import Foundation

/// Graph resource shapes (v1.0 OpenAPI `microsoft.graph.message`, `mailFolder`, `user`), every
/// property optional: `$select` trims them, delta updates carry only some, and `@removed`
/// entries carry only the id.

public struct GraphEmailAddress: Decodable, Sendable, Hashable {
    public var name: String?
    public var address: String?
    enum CodingKeys: String, CodingKey { case name, address }
    public init(name: String?, address: String?) { self.name = name; self.address = address }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = (try? c.decodeIfPresent(LenientString.self, forKey: .name))?.value
        address = (try? c.decodeIfPresent(LenientString.self, forKey: .address))?.value
    }
}

public struct GraphRecipient: Decodable, Sendable, Hashable {
    public var emailAddress: GraphEmailAddress?
    enum CodingKeys: String, CodingKey { case emailAddress }
    public init(emailAddress: GraphEmailAddress?) { self.emailAddress = emailAddress }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        emailAddress = try? c.decodeIfPresent(GraphEmailAddress.self, forKey: .emailAddress)
    }
}

public struct GraphItemBody: Decodable, Sendable, Hashable {
    public var contentType: String?
    public var content: String?
    enum CodingKeys: String, CodingKey { case contentType, content }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contentType = (try? c.decodeIfPresent(LenientString.self, forKey: .contentType))?.value
        content = (try? c.decodeIfPresent(LenientString.self, forKey: .content))?.value
    }
}

public struct GraphFollowupFlag: Decodable, Sendable, Hashable {
    public var flagStatus: String?
    enum CodingKeys: String, CodingKey { case flagStatus }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        flagStatus = (try? c.decodeIfPresent(LenientString.self, forKey: .flagStatus))?.value
    }
}

public struct GraphRemoved: Decodable, Sendable, Hashable {
    public var reason: String?
}

public struct GraphMentionsPreview: Decodable, Sendable, Hashable {
    public var isMentioned: Bool?
    enum CodingKeys: String, CodingKey { case isMentioned }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        isMentioned = (try? c.decodeIfPresent(LenientBool.self, forKey: .isMentioned))?.value
    }
}

public struct GraphMessage: Decodable, Sendable, Hashable {
    public var id: String?
    public var removed: GraphRemoved?
    public var parentFolderId: String?
    public var conversationId: String?
    public var subject: String?
    public var bodyPreview: String?
    public var body: GraphItemBody?
    public var from: GraphRecipient?
    public var sender: GraphRecipient?
    public var toRecipients: [GraphRecipient]?
    public var ccRecipients: [GraphRecipient]?
    public var receivedDateTime: Date?
    public var isRead: Bool?
    public var isDraft: Bool?
    public var hasAttachments: Bool?
    public var importance: String?
    public var inferenceClassification: String?
    public var flag: GraphFollowupFlag?
    public var categories: [String]?
    public var mentionsPreview: GraphMentionsPreview?

    enum CodingKeys: String, CodingKey {
        case id, removed = "@removed", parentFolderId, conversationId, subject, bodyPreview, body, from, sender
        case toRecipients, ccRecipients, receivedDateTime, isRead, isDraft, hasAttachments, importance
        case inferenceClassification, flag, categories, mentionsPreview
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func string(_ key: CodingKeys) -> String? { (try? c.decodeIfPresent(LenientString.self, forKey: key))?.value }
        func bool(_ key: CodingKeys) -> Bool? { (try? c.decodeIfPresent(LenientBool.self, forKey: key))?.value }
        func recipients(_ key: CodingKeys) -> [GraphRecipient]? {
            (try? c.decodeIfPresent([LossyElement<GraphRecipient>].self, forKey: key))?.compactMap(\.value)
        }
        id = string(.id)
        removed = try? c.decodeIfPresent(GraphRemoved.self, forKey: .removed)
        parentFolderId = string(.parentFolderId)
        conversationId = string(.conversationId)
        subject = string(.subject)
        bodyPreview = string(.bodyPreview)
        body = try? c.decodeIfPresent(GraphItemBody.self, forKey: .body)
        from = try? c.decodeIfPresent(GraphRecipient.self, forKey: .from)
        sender = try? c.decodeIfPresent(GraphRecipient.self, forKey: .sender)
        toRecipients = recipients(.toRecipients)
        ccRecipients = recipients(.ccRecipients)
        receivedDateTime = (try? c.decodeIfPresent(GraphDateValue.self, forKey: .receivedDateTime))?.date
        isRead = bool(.isRead)
        isDraft = bool(.isDraft)
        hasAttachments = bool(.hasAttachments)
        importance = string(.importance)
        inferenceClassification = string(.inferenceClassification)
        flag = try? c.decodeIfPresent(GraphFollowupFlag.self, forKey: .flag)
        categories = (try? c.decodeIfPresent([LossyElement<LenientString>].self, forKey: .categories))?
            .compactMap { $0.value?.value }
        mentionsPreview = try? c.decodeIfPresent(GraphMentionsPreview.self, forKey: .mentionsPreview)
    }
}

public struct GraphMailFolder: Decodable, Sendable, Hashable {
    public var id: String?
    public var removed: GraphRemoved?
    public var displayName: String?
    public var parentFolderId: String?
    public var childFolderCount: Int?
    public var unreadItemCount: Int?
    public var totalItemCount: Int?
    public var isHidden: Bool?

    enum CodingKeys: String, CodingKey {
        case id, removed = "@removed", displayName, parentFolderId, childFolderCount, unreadItemCount
        case totalItemCount, isHidden
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func string(_ key: CodingKeys) -> String? { (try? c.decodeIfPresent(LenientString.self, forKey: key))?.value }
        func int(_ key: CodingKeys) -> Int? {
            if let n = try? c.decodeIfPresent(Int.self, forKey: key) { return n }
            return string(key).flatMap { Int($0) }
        }
        id = string(.id)
        removed = try? c.decodeIfPresent(GraphRemoved.self, forKey: .removed)
        displayName = string(.displayName)
        parentFolderId = string(.parentFolderId)
        childFolderCount = int(.childFolderCount)
        unreadItemCount = int(.unreadItemCount)
        totalItemCount = int(.totalItemCount)
        isHidden = (try? c.decodeIfPresent(LenientBool.self, forKey: .isHidden))?.value
    }
}

public struct GraphUser: Decodable, Sendable, Hashable {
    public var id: String?
    public var displayName: String?
    public var mail: String?
    public var userPrincipalName: String?
}

/// One page of a collection: `value` plus the links that say whether the round goes on.
public struct GraphPage<Element: Decodable & Sendable>: Decodable, Sendable {
    public var value: [Element]
    public var nextLink: String?
    public var deltaLink: String?
    public var count: Int?

    enum CodingKeys: String, CodingKey {
        case value, nextLink = "@odata.nextLink", deltaLink = "@odata.deltaLink", count = "@odata.count"
    }

    public init(value: [Element], nextLink: String? = nil, deltaLink: String? = nil, count: Int? = nil) {
        self.value = value
        self.nextLink = nextLink
        self.deltaLink = deltaLink
        self.count = count
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // One undecodable element must not cost the whole page; it is skipped and counted.
        value = try c.decode([LossyElement<Element>].self, forKey: .value).compactMap(\.value)
        nextLink = try? c.decodeIfPresent(String.self, forKey: .nextLink)
        deltaLink = try? c.decodeIfPresent(String.self, forKey: .deltaLink)
        count = try? c.decodeIfPresent(Int.self, forKey: .count)
    }
}

/// Decodes an element or yields nil instead of failing the surrounding array.
struct LossyElement<T: Decodable>: Decodable {
    let value: T?
    init(from decoder: Decoder) throws {
        value = try? T(from: decoder)
    }
}
