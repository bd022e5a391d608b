import Foundation
import MailCore

/// What reply and forward actions start from.
enum ResponseKind: Sendable {
    case reply, replyAll, forward
}

/// The parameters of createReply, createReplyAll, createForward, reply, replyAll and forward.
struct ResponseParameters: Sendable {
    var comment: String?
    var toRecipients: [EmulatedMessage.Recipient]?
    var message: MessagePatch?
}

/// Message operations of the Graph routes: search, PATCH, copy, drafts, replies and forwards,
/// sending. Every change goes through `commit` (and a move out of a folder through
/// `removeFromFolder`), so message delta reports it like any other change.
extension Mailbox {
    // MARK: - Search

    /// A `$search` page: every match, newest `sentDateTime` first (Graph sorts search results
    /// by sent date), at most `MessageSearch.maximumResults` in all.
    func searchMessages(folderID: String?, search: MessageSearch, skip: Int, top: Int, includeCount: Bool) -> MessageListPage {
        let index = folderID.map { folderIndex[$0] ?? MessageIndex() } ?? allIndex
        var matches: [(message: EmulatedMessage, position: Int)] = []
        for (position, entry) in index.entries.enumerated() {
            guard let message = records[entry.slot]?.message, search.matches(message) else { continue }
            matches.append((message, position))
        }
        matches.sort { a, b in
            let sentA = a.message.sent ?? a.message.received
            let sentB = b.message.sent ?? b.message.received
            return sentA != sentB ? sentA > sentB : a.position < b.position
        }
        if matches.count > MessageSearch.maximumResults { matches.removeLast(matches.count - MessageSearch.maximumResults) }
        let lower = min(skip, matches.count)
        let upper = min(lower + top, matches.count)
        return MessageListPage(
            messages: matches[lower..<upper].map(\.message), totalCount: includeCount ? matches.count : nil,
            hasMore: upper < matches.count)
    }

    // MARK: - Update

    /// PATCH of a message, as one change. Throws `GraphError` for requests Graph refuses.
    func updateMessage(id: String, with patch: MessagePatch) throws -> EmulatedMessage {
        var changed = try message(id: id)
        try patch.apply(to: &changed, now: logicalNow(after: 1))
        let result = changed
        return try update(id: id) { $0 = result }
    }

    // MARK: - Copy

    /// Graph's `copy`: a new message (new regular and immutable ids) in `destination` (id or
    /// well-known name); the original stays where it is.
    @discardableResult
    public func copy(id: String, to destination: String) throws(MailboxError) -> EmulatedMessage {
        let original = try message(id: id)
        guard let target = resolveFolderID(destination), target != rootFolderID else { throw .folderNotFound(destination) }
        let now = logicalNow(after: 1)
        let copy = rebuilt(
            original, ids: mintMessageIDs(), folderID: target,
            adjust: {
                $0.created = now
                $0.lastModified = now
            })
        return insert(copy)
    }

    // MARK: - Drafts

    /// `POST /me/messages` (or `/mailFolders/{id}/messages`): a new draft, read, from the owner.
    func createDraft(_ patch: MessagePatch, in folder: String) throws -> EmulatedMessage {
        guard let folderID = resolveFolderID(folder), folderID != rootFolderID else { throw MailboxError.folderNotFound(folder) }
        var draft = newMessage(folderID: folderID, conversation: nil)
        try patch.apply(to: &draft, now: draft.created)
        if let attachments = patch.attachments { draft.setBody(draft.body, attachments: stamped(attachments, at: draft.created)) }
        return insert(draft)
    }

    /// createReply, createReplyAll and createForward: a draft in Drafts that quotes the
    /// original, with Outlook's subject prefix and recipients. Like Graph, the `comment` is
    /// not written into the draft's body (GRAPH.md §5, known issue).
    func createResponseDraft(_ kind: ResponseKind, to id: String, parameters: ResponseParameters) throws -> EmulatedMessage {
        let draft = try responseMessage(kind, to: id, parameters: parameters, includeComment: false)
        return insert(draft)
    }

    /// reply, replyAll and forward: composed like the drafts above (the comment leads the
    /// body) and sent at once.
    func sendResponse(_ kind: ResponseKind, to id: String, parameters: ResponseParameters) throws {
        var message = try responseMessage(kind, to: id, parameters: parameters, includeComment: true)
        message.isDraft = false
        try dispatch(message, saveToSentItems: true)
    }

    /// `POST /me/sendMail`: a new message sent at once, kept in Sent Items unless
    /// `saveToSentItems` is false.
    func sendMail(_ patch: MessagePatch, saveToSentItems: Bool) throws {
        var message = newMessage(folderID: wellKnown["sentitems"] ?? rootFolderID, conversation: nil)
        try patch.apply(to: &message, now: message.created)
        if let attachments = patch.attachments { message.setBody(message.body, attachments: stamped(attachments, at: message.created)) }
        message.isDraft = false
        try dispatch(message, saveToSentItems: saveToSentItems)
    }

    /// `POST /messages/{id}/send`: the draft moves to Sent Items as a sent message. Its
    /// regular id changes and its immutable id stays (GRAPH.md §4); mail to the owner is
    /// delivered to the Inbox as well.
    func sendDraft(id: String) throws {
        let slot = try slot(for: id)
        let draft = records[slot]!.message
        guard draft.isDraft else {
            throw GraphError.badRequest("Only a draft can be sent; this message has been sent already.", code: "ErrorInvalidOperation")
        }
        try Self.checkRecipients(draft)
        let now = logicalNow(after: 1)
        allIndex.remove(.init(received: draft.received, slot: slot))
        removeFromFolder(slot: slot)
        guard let sentItems = wellKnown["sentitems"] else {
            // No Sent Items folder (a loaded mailbox may lack one): the message leaves the mailbox.
            slotByID[draft.immutableID] = nil
            records[slot] = nil
            deliverToOwnerIfAddressed(sent(draft, at: now))
            return
        }
        var record = records[slot]!
        let newID = mintMessageIDs().regular
        record.message = sent(draft, at: now)
        record.message.id = newID
        record.message.parentFolderID = sentItems
        records[slot] = record
        slotByID[newID] = slot
        allIndex.insert(.init(received: now, slot: slot))
        addToFolder(slot: slot)
        commit(slot: slot)
        deliverToOwnerIfAddressed(records[slot]!.message)
    }

    // MARK: - Composition

    /// A reply or forward of message `id`, not yet stored.
    private func responseMessage(
        _ kind: ResponseKind, to id: String, parameters: ResponseParameters, includeComment: Bool
    ) throws -> EmulatedMessage {
        let original = try message(id: id)
        if parameters.comment != nil, parameters.message?.body != nil {
            throw GraphError.badRequest("Specify either a comment or the body property of the message parameter, not both.")
        }
        if kind == .forward {
            let given = parameters.toRecipients != nil ? 1 : 0
            let inMessage = parameters.message?.toRecipients != nil ? 1 : 0
            guard given + inMessage == 1 else {
                throw GraphError.badRequest(
                    "Specify either the toRecipients parameter or the toRecipients property of the message parameter, "
                        + "exactly one of them.")
            }
        }
        guard let drafts = wellKnown["drafts"] else { throw MailboxError.folderNotFound("drafts") }
        var draft = newMessage(folderID: drafts, conversation: original)
        let recipients = Self.responseRecipients(kind, original: original, owner: ownerRecipient)
        draft.toRecipients = parameters.toRecipients ?? recipients.to
        draft.ccRecipients = recipients.cc
        draft.subject = Self.prefixed(original.subject, kind == .forward ? "FW:" : "RE:")
        var ownText: EmulatedMessage.Body?
        if includeComment, let comment = parameters.comment { ownText = EmulatedMessage.Body(contentType: .text, content: comment) }
        var patch = parameters.message ?? MessagePatch()
        if let body = patch.body {
            ownText = body
            patch.body = nil
        }
        let attachments = patch.attachments
        patch.attachments = nil
        try patch.apply(to: &draft, now: draft.created)
        let quoted = Self.quote(original, own: ownText)
        let kept = kind == .forward ? original.attachments : original.attachments.filter(\.isInline)
        draft.content = .stored(StoredContent(
            body: quoted, uniqueBody: Self.html(ownText ?? EmulatedMessage.Body(contentType: .text, content: "")),
            attachments: kept + stamped(attachments ?? [], at: draft.created)))
        draft.hasAttachments = draft.attachments.contains { !$0.isInline }
        return draft
    }

    /// Outlook's recipients: a reply goes to `replyTo` when the original has one, else to its
    /// sender (to the original recipients when the owner sent it); reply-all adds the other
    /// recipients, never the owner.
    static func responseRecipients(
        _ kind: ResponseKind, original: EmulatedMessage, owner: EmulatedMessage.Recipient
    ) -> (to: [EmulatedMessage.Recipient], cc: [EmulatedMessage.Recipient]) {
        if kind == .forward { return ([], []) }
        let isOwner: (EmulatedMessage.Recipient) -> Bool = { $0.address.lowercased() == owner.address.lowercased() }
        let sentByOwner = original.from.map(isOwner) ?? false
        var to: [EmulatedMessage.Recipient]
        if !original.replyTo.isEmpty {
            to = original.replyTo
        } else if sentByOwner {
            to = original.toRecipients
        } else {
            to = original.from.map { [$0] } ?? []
        }
        guard kind == .replyAll else { return (unique(to, excluding: []), []) }
        if !sentByOwner { to += original.toRecipients.filter { !isOwner($0) } }
        to = unique(to, excluding: [])
        let cc = unique(original.ccRecipients.filter { !isOwner($0) }, excluding: to)
        return (to, cc)
    }

    private static func unique(
        _ recipients: [EmulatedMessage.Recipient], excluding: [EmulatedMessage.Recipient]
    ) -> [EmulatedMessage.Recipient] {
        var seen = Set(excluding.map { $0.address.lowercased() })
        return recipients.filter { seen.insert($0.address.lowercased()).inserted }
    }

    /// `RE: subject` unless the subject already starts with the prefix (any case).
    static func prefixed(_ subject: String, _ prefix: String) -> String {
        subject.lowercased().hasPrefix(prefix.lowercased()) ? subject : "\(prefix) \(subject)"
    }

    /// The body of a reply or forward: the new text, then Outlook's header block and the
    /// original body, as HTML (Outlook composes replies in HTML).
    static func quote(_ original: EmulatedMessage, own: EmulatedMessage.Body?) -> EmulatedMessage.Body {
        func people(_ recipients: [EmulatedMessage.Recipient]) -> String {
            BodyComposer.escapeHTML(recipients.map { "\($0.name) <\($0.address)>" }.joined(separator: "; "))
        }
        var out = "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\r\n"
        out += "<div dir=\"ltr\" style=\"font-family:Calibri,Arial,Helvetica,sans-serif; font-size:11pt\">"
        out += own.map { innerHTML(html($0).content) } ?? "<br>"
        out += "</div>\r\n<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">\r\n"
        out += "<div id=\"divRplyFwdMsg\" dir=\"ltr\">"
        if let from = original.from { out += "<b>From:</b> \(people([from]))<br>\r\n" }
        out += "<b>Sent:</b> \(GraphDate.formatLong(original.sent ?? original.received))<br>\r\n"
        if !original.toRecipients.isEmpty { out += "<b>To:</b> \(people(original.toRecipients))<br>\r\n" }
        if !original.ccRecipients.isEmpty { out += "<b>Cc:</b> \(people(original.ccRecipients))<br>\r\n" }
        out += "<b>Subject:</b> \(BodyComposer.escapeHTML(original.subject))</div>\r\n<div>\r\n"
        out += innerHTML(html(original.body).content)
        out += "\r\n</div>\r\n</body></html>"
        return EmulatedMessage.Body(contentType: .html, content: out)
    }

    private static func html(_ body: EmulatedMessage.Body) -> EmulatedMessage.Body {
        BodyComposer.htmlBody(from: body)
    }

    /// The content of an HTML document's `<body>`, or the whole text when it has none.
    private static func innerHTML(_ html: String) -> String {
        guard let open = html.range(of: "<body", options: .caseInsensitive),
              let openEnd = html[open.upperBound...].firstIndex(of: ">"),
              let close = html.range(of: "</body>", options: [.caseInsensitive, .backwards]),
              close.lowerBound > openEnd
        else { return html }
        return String(html[html.index(after: openEnd)..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Sending

    static func checkRecipients(_ message: EmulatedMessage) throws {
        let count = message.toRecipients.count + message.ccRecipients.count + message.bccRecipients.count
        guard count > 0 else {
            throw GraphError.badRequest(
                "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
                code: "ErrorInvalidRecipients")
        }
        // Exchange Online's limit across To, Cc and Bcc (GRAPH.md §2.6).
        guard count <= 500 else {
            throw GraphError.badRequest("A message can have at most 500 recipients.", code: "ErrorInvalidRecipients")
        }
    }

    /// A message that is not stored yet, sent now: kept in Sent Items when asked, and
    /// delivered to the Inbox when it is addressed to the owner.
    private func dispatch(_ message: EmulatedMessage, saveToSentItems: Bool) throws {
        try Self.checkRecipients(message)
        let now = logicalNow(after: 1)
        var outgoing = sent(message, at: now)
        if saveToSentItems, let sentItems = wellKnown["sentitems"] {
            outgoing.parentFolderID = sentItems
            outgoing = insert(outgoing)
        }
        deliverToOwnerIfAddressed(outgoing)
    }

    /// The state of a message once sent: not a draft, read, sent and received now, from the owner.
    private func sent(_ message: EmulatedMessage, at now: Int64) -> EmulatedMessage {
        var sent = message
        sent.isDraft = false
        sent.isRead = true
        sent.sent = now
        sent.received = now
        sent.lastModified = now
        if sent.from == nil { sent.from = ownerRecipient }
        if sent.sender == nil { sent.sender = sent.from }
        return sent
    }

    /// Mail the owner sends to themselves arrives in the Inbox as a new message (new ids), as
    /// Exchange delivers it: unread, classified like any mail from a person (Focused unless an
    /// override says otherwise, which `deliver` applies).
    private func deliverToOwnerIfAddressed(_ message: EmulatedMessage) {
        let owner = self.owner.address.lowercased()
        let addressed = (message.toRecipients + message.ccRecipients + message.bccRecipients).contains {
            $0.address.lowercased() == owner
        }
        guard addressed, wellKnown["inbox"] != nil else { return }
        let arrival = NewMessage(
            subject: message.subject, from: message.from ?? ownerRecipient, toRecipients: message.toRecipients,
            ccRecipients: message.ccRecipients, body: message.body, receivedDateTime: nil, isRead: false,
            importance: message.importance, inferenceClassification: .focused, categories: [],
            mentionsOwner: message.mentionsOwner, conversationID: message.conversationID, attachments: message.attachments)
        // The Inbox was checked above, so delivering there cannot fail.
        guard let delivered = try? deliver(arrival, to: "inbox"), let slot = slotByID[delivered.immutableID] else { return }
        // The same Internet message as the sent copy, in the same thread.
        records[slot]!.message.internetMessageID = message.internetMessageID
        records[slot]!.message.conversationIndex = message.conversationIndex
        records[slot]!.message.sent = message.sent
    }

    // MARK: - Building messages

    private var ownerRecipient: EmulatedMessage.Recipient {
        EmulatedMessage.Recipient(name: owner.displayName, address: owner.address)
    }

    func mintMessageIDs() -> (regular: String, immutable: String) {
        minted += 1
        return (GraphID.message(seed: StableHash.mix(idSeed, 0x4D, minted)),
                GraphID.immutableMessage(seed: StableHash.mix(idSeed, 0x4E, minted)))
    }

    /// An empty draft from the owner in `folderID`; in `conversation`'s thread when given.
    private func newMessage(folderID: String, conversation: EmulatedMessage?) -> EmulatedMessage {
        let ids = mintMessageIDs()
        let now = logicalNow(after: 1)
        let seed = StableHash.mix(idSeed, 0xC0, minted)
        let conversationIndex: String
        if let conversation, let parent = Data(base64Encoded: conversation.conversationIndex) {
            // Outlook's child index: the parent's bytes plus a five-byte time delta.
            conversationIndex = GraphID.base64(Array(parent) + Array(Data(base64Encoded: GraphID.base64Bytes(count: 5, seed: seed))!))
        } else {
            conversationIndex = GraphID.base64Bytes(count: 22, seed: seed)
        }
        let domain = owner.address.split(separator: "@").last.map(String.init) ?? "example.com"
        return EmulatedMessage(
            id: ids.regular, immutableID: ids.immutable, parentFolderID: folderID, changeKey: "",
            conversationID: conversation?.conversationID ?? GraphID.conversation(seed: seed),
            conversationIndex: conversationIndex,
            internetMessageID: "<\(String(StableHash.mix(idSeed, 0x1A, minted), radix: 16))@\(domain)>",
            subject: "", from: ownerRecipient, sender: ownerRecipient, toRecipients: [], ccRecipients: [],
            bccRecipients: [], replyTo: [], isRead: true, isDraft: true, importance: .normal,
            inferenceClassification: .focused, flag: .notFlagged, categories: [], hasAttachments: false,
            isReadReceiptRequested: false, isDeliveryReceiptRequested: false, mentionsOwner: false,
            created: now, lastModified: now, received: now, sent: now,
            content: .stored(StoredContent(body: EmulatedMessage.Body(contentType: .text, content: ""), uniqueBody: nil, attachments: [])))
    }

    /// `message` with other ids and folder (EmulatedMessage's immutable id is a `let`).
    func rebuilt(
        _ message: EmulatedMessage, ids: (regular: String, immutable: String), folderID: String,
        adjust: (inout EmulatedMessage) -> Void
    ) -> EmulatedMessage {
        var result = EmulatedMessage(
            id: ids.regular, immutableID: ids.immutable, parentFolderID: folderID, changeKey: message.changeKey,
            conversationID: message.conversationID, conversationIndex: message.conversationIndex,
            internetMessageID: message.internetMessageID, subject: message.subject, from: message.from,
            sender: message.sender, toRecipients: message.toRecipients, ccRecipients: message.ccRecipients,
            bccRecipients: message.bccRecipients, replyTo: message.replyTo, isRead: message.isRead,
            isDraft: message.isDraft, importance: message.importance,
            inferenceClassification: message.inferenceClassification, flag: message.flag, categories: message.categories,
            hasAttachments: message.hasAttachments, isReadReceiptRequested: message.isReadReceiptRequested,
            isDeliveryReceiptRequested: message.isDeliveryReceiptRequested, mentionsOwner: message.mentionsOwner,
            created: message.created, lastModified: message.lastModified, received: message.received, sent: message.sent,
            content: message.content)
        adjust(&result)
        return result
    }

    private func stamped(_ attachments: [EmulatedMessage.Attachment], at time: Int64) -> [EmulatedMessage.Attachment] {
        attachments.map { attachment in
            var stamped = attachment
            if stamped.lastModified == 0 { stamped.lastModified = time }
            return stamped
        }
    }

    /// Stores a new message (its ids must be fresh) and records the change.
    @discardableResult
    func insert(_ message: EmulatedMessage) -> EmulatedMessage {
        let slot = records.count
        records.append(Record(message: message, changeSequence: 0, version: 0))
        slotByID[message.id] = slot
        slotByID[message.immutableID] = slot
        allIndex.insert(.init(received: message.received, slot: slot))
        addToFolder(slot: slot)
        commit(slot: slot)
        return records[slot]!.message
    }
}
