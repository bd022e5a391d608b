import Foundation

public enum MailboxError: Error, Equatable, Sendable {
    /// A well-formed id that names no message (Graph: 404 `ErrorItemNotFound`).
    case messageNotFound(String)
    /// A folder id or well-known name that names no folder (Graph: 404 `ErrorItemNotFound`).
    case folderNotFound(String)
    /// Not an Exchange id at all (Graph: 400 `ErrorInvalidIdMalformed`).
    case malformedID(String)
    /// A delta token that is unknown, altered or from another emulator (Graph: 410).
    case syncStateNotFound
}

/// A message handed to `Mailbox.deliver(_:to:)`.
public struct NewMessage: Sendable {
    public var subject: String
    public var from: EmulatedMessage.Recipient
    /// Empty means "to the mailbox owner".
    public var toRecipients: [EmulatedMessage.Recipient]
    public var ccRecipients: [EmulatedMessage.Recipient]
    public var body: EmulatedMessage.Body
    /// nil: the mailbox's logical "now", which is later than every message already in it.
    public var receivedDateTime: Date?
    public var isRead: Bool
    public var importance: EmulatedMessage.Importance
    public var inferenceClassification: EmulatedMessage.Classification
    public var categories: [String]
    public var mentionsOwner: Bool
    /// nil starts a new conversation.
    public var conversationID: String?
    public var attachments: [EmulatedMessage.Attachment]

    public init(
        subject: String, from: EmulatedMessage.Recipient, toRecipients: [EmulatedMessage.Recipient] = [],
        ccRecipients: [EmulatedMessage.Recipient] = [], body: EmulatedMessage.Body, receivedDateTime: Date? = nil,
        isRead: Bool = false, importance: EmulatedMessage.Importance = .normal,
        inferenceClassification: EmulatedMessage.Classification = .focused, categories: [String] = [],
        mentionsOwner: Bool = false, conversationID: String? = nil, attachments: [EmulatedMessage.Attachment] = []
    ) {
        self.subject = subject
        self.from = from
        self.toRecipients = toRecipients
        self.ccRecipients = ccRecipients
        self.body = body
        self.receivedDateTime = receivedDateTime
        self.isRead = isRead
        self.importance = importance
        self.inferenceClassification = inferenceClassification
        self.categories = categories
        self.mentionsOwner = mentionsOwner
        self.conversationID = conversationID
        self.attachments = attachments
    }
}

/// The mailbox at one instant, ordered as Graph lists it.
public struct MailboxSnapshot: Sendable {
    public let owner: MailboxOwner
    public let rootFolderID: String
    /// Every folder except the root (hidden ones included), depth first; siblings sorted by
    /// display name as `GET /me/mailFolders` and `childFolders` return them.
    public let folders: [EmulatedFolder]
    /// Every message, newest `receivedDateTime` first (the default Graph order).
    public let messages: [EmulatedMessage]

    public func folder(id: String) -> EmulatedFolder? {
        folders.first { $0.id == id }
    }

    /// Case-insensitive, e.g. `inbox`, `SentItems`.
    public func folder(wellKnownName: String) -> EmulatedFolder? {
        let name = wellKnownName.lowercased()
        return folders.first { $0.wellKnownName == name }
    }

    /// By display-name path, e.g. `Inbox/Projects/Atlas`.
    public func folder(path: String) -> EmulatedFolder? {
        folders.first { $0.path == path }
    }

    /// What `GET /me/mailFolders` lists (all pages).
    public func topLevelFolders(includeHidden: Bool = false) -> [EmulatedFolder] {
        childFolders(of: rootFolderID, includeHidden: includeHidden)
    }

    public func childFolders(of folderID: String, includeHidden: Bool = false) -> [EmulatedFolder] {
        folders.filter { $0.parentFolderID == folderID && (includeHidden || !$0.isHidden) }
    }

    /// The folder's messages, newest first (what `GET …/messages` pages through).
    public func messages(inFolder folderID: String) -> [EmulatedMessage] {
        messages.filter { $0.parentFolderID == folderID }
    }
}

/// The in-memory mailbox the emulator serves. All state lives in this actor: folders,
/// messages, the per-folder sort indices and the change log that delta queries read.
///
/// Every change gets the next value of a mailbox-wide sequence number. A message remembers
/// the sequence of its last change; a message that leaves a folder (moved or deleted) leaves
/// a tombstone in the change log. A delta round is "everything with a sequence above the
/// token's base", which is how `@odata.deltaLink` rounds return only what changed.
public actor Mailbox {
    public nonisolated let owner: MailboxOwner
    public nonisolated let rootFolderID: String
    nonisolated let tokens: DeltaTokenCodec

    struct Record: Sendable {
        var message: EmulatedMessage
        var changeSequence: UInt64
        var version: UInt64
    }

    struct ChangeEntry: Sendable {
        enum Change: Sendable {
            case upsert(slot: Int)
            case removed(id: String, immutableID: String)
        }

        var sequence: UInt64
        var folderID: String
        var change: Change
    }

    let root: EmulatedFolder
    var folders: [String: EmulatedFolder] = [:]
    var children: [String: [String]] = [:]
    var wellKnown: [String: String] = [:]
    var folderSequence: [String: UInt64] = [:]
    var unread: [String: Int] = [:]

    var records: [Record?] = []
    var slotByID: [String: Int] = [:]
    var folderIndex: [String: MessageIndex] = [:]
    var allIndex = MessageIndex()
    var sequence: UInt64 = 0
    var changeLog: [ChangeEntry] = []
    let idSeed: UInt64
    var minted: UInt64 = 0
    private let referenceSeconds: Int64
    /// Folders that left a delta scope (deleted, or moved out of a subtree): Mailbox+Folders.swift.
    var folderTombstones: [FolderTombstone] = []
    /// Focused Inbox overrides, categories, mailbox settings and attachment upload sessions:
    /// MailboxUserData.swift.
    var userData = MailboxUserData()

    public init(content: MailboxContent) {
        owner = content.owner
        rootFolderID = content.rootFolderID
        idSeed = content.idSeed
        referenceSeconds = GraphDate.seconds(content.referenceDate)
        // Tokens only need to be unforgeable across emulator instances, not reproducible.
        tokens = DeltaTokenCodec(key: UInt64.random(in: .min ... .max))
        root = EmulatedFolder(
            id: content.rootFolderID, displayName: "Top of Information Store",
            parentFolderID: GraphID.folder(seed: StableHash.string(content.rootFolderID), wellKnown: true),
            wellKnownName: "msgfolderroot", isHidden: false, path: "")

        var folders: [String: EmulatedFolder] = [:]
        var children: [String: [String]] = [content.rootFolderID: []]
        var wellKnown: [String: String] = ["msgfolderroot": content.rootFolderID]
        for folder in content.folders {
            folders[folder.id] = folder
            if children[folder.id] == nil { children[folder.id] = [] }
            children[folder.parentFolderID, default: []].append(folder.id)
            if let name = folder.wellKnownName { wellKnown[name.lowercased()] = folder.id }
        }
        for (parent, ids) in children {
            children[parent] = ids.sorted { Self.siblingOrder(folders[$0], folders[$1]) }
        }

        var records: [Record?] = []
        records.reserveCapacity(content.messages.count)
        var slotByID: [String: Int] = [:]
        slotByID.reserveCapacity(content.messages.count * 2)
        var entriesByFolder: [String: [MessageIndex.Entry]] = [:]
        var allEntries: [MessageIndex.Entry] = []
        allEntries.reserveCapacity(content.messages.count)
        var unread: [String: Int] = [:]
        for message in content.messages {
            // The generator and the loader guarantee both; hand-made content must too.
            precondition(folders[message.parentFolderID] != nil, "message \(message.id) is in an unknown folder")
            precondition(slotByID[message.id] == nil, "duplicate message id \(message.id)")
            let slot = records.count
            records.append(Record(message: message, changeSequence: 0, version: 0))
            slotByID[message.id] = slot
            slotByID[message.immutableID] = slot
            let entry = MessageIndex.Entry(received: message.received, slot: slot)
            entriesByFolder[message.parentFolderID, default: []].append(entry)
            allEntries.append(entry)
            if !message.isRead { unread[message.parentFolderID, default: 0] += 1 }
        }
        self.folders = folders
        self.children = children
        self.wellKnown = wellKnown
        self.records = records
        self.slotByID = slotByID
        self.unread = unread
        self.folderIndex = entriesByFolder.mapValues { MessageIndex($0) }
        self.allIndex = MessageIndex(allEntries)
    }

    /// A generated mailbox; see `MailboxGenerator`.
    public init(messageCount: Int, seed: UInt64) {
        self.init(content: MailboxGenerator(messageCount: messageCount, seed: seed).generate())
    }

    static func siblingOrder(_ a: EmulatedFolder?, _ b: EmulatedFolder?) -> Bool {
        let nameA = a?.displayName.lowercased() ?? ""
        let nameB = b?.displayName.lowercased() ?? ""
        return nameA != nameB ? nameA < nameB : (a?.id ?? "") < (b?.id ?? "")
    }

    // MARK: - Reading

    public func snapshot() -> MailboxSnapshot {
        MailboxSnapshot(
            owner: owner, rootFolderID: rootFolderID, folders: allFolders(includeHidden: true),
            messages: allIndex.entries.compactMap { records[$0.slot]?.message })
    }

    /// The total number of messages.
    public var messageCount: Int { allIndex.count }

    /// A folder by id or well-known name (case-insensitive), with current counts.
    /// `msgfolderroot` names the root.
    public func folder(_ idOrWellKnownName: String) -> EmulatedFolder? {
        resolveFolderID(idOrWellKnownName).map(folderView)
    }

    public func childFolders(of folderID: String, includeHidden: Bool = false) -> [EmulatedFolder] {
        (children[folderID] ?? []).compactMap { id in
            guard let folder = folders[id], includeHidden || !folder.isHidden else { return nil }
            return folderView(id)
        }
    }

    /// All folders below the root, depth first; hidden folders and their subtrees only when asked.
    public func allFolders(includeHidden: Bool = false) -> [EmulatedFolder] {
        descendants(of: rootFolderID, includeHidden: includeHidden)
    }

    /// A message by regular or immutable id.
    public func message(id: String) throws(MailboxError) -> EmulatedMessage {
        try records[slot(for: id)]!.message
    }

    func resolveFolderID(_ text: String) -> String? {
        if text == rootFolderID || folders[text] != nil { return text }
        return wellKnown[text.lowercased()]
    }

    func folderView(_ id: String) -> EmulatedFolder {
        var folder = id == rootFolderID ? root : folders[id]!
        folder.childFolderCount = children[id]?.count ?? 0
        folder.totalItemCount = folderIndex[id]?.count ?? 0
        folder.unreadItemCount = unread[id] ?? 0
        return folder
    }

    func slot(for id: String) throws(MailboxError) -> Int {
        if let slot = slotByID[id], records[slot] != nil { return slot }
        throw GraphID.isPlausible(id) ? .messageNotFound(id) : .malformedID(id)
    }

    // MARK: - Listing

    struct MessageListPage: Sendable {
        var messages: [EmulatedMessage]
        var totalCount: Int?
        var hasMore: Bool
    }

    /// One page of a folder's messages (or of the whole mailbox when `folderID` is nil).
    func listMessages(
        folderID: String?, filter: MessageFilter?, order: MessageOrder, skip: Int, top: Int, includeCount: Bool
    ) -> MessageListPage {
        let index = folderID.map { folderIndex[$0] ?? MessageIndex() } ?? allIndex
        let entries = index.entries
        if let descending = order.indexDirection {
            if filter == nil {
                // Without a filter the page is a slice of the index.
                let count = entries.count
                let lower = min(skip, count)
                let upper = min(lower + top, count)
                var page: [EmulatedMessage] = []
                page.reserveCapacity(upper - lower)
                for position in lower..<upper {
                    let entry = entries[descending ? position : count - 1 - position]
                    if let message = records[entry.slot]?.message { page.append(message) }
                }
                return MessageListPage(messages: page, totalCount: includeCount ? count : nil, hasMore: upper < count)
            }
            var page: [EmulatedMessage] = []
            var matched = 0
            var hasMore = false
            let ordered: AnySequence<MessageIndex.Entry> = descending ? AnySequence(entries) : AnySequence(entries.reversed())
            for entry in ordered {
                guard let message = records[entry.slot]?.message, filter?.matches(message) ?? true else { continue }
                matched += 1
                if matched <= skip { continue }
                if page.count < top {
                    page.append(message)
                } else {
                    hasMore = true
                    if !includeCount { break }
                }
            }
            return MessageListPage(messages: page, totalCount: includeCount ? matched : nil, hasMore: hasMore)
        }
        var matches: [(message: EmulatedMessage, slot: Int)] = []
        for entry in entries {
            guard let message = records[entry.slot]?.message, filter?.matches(message) ?? true else { continue }
            matches.append((message, entry.slot))
        }
        matches.sort { order.precedes($0.message, slotA: $0.slot, $1.message, slotB: $1.slot) }
        let lower = min(skip, matches.count)
        let upper = min(lower + top, matches.count)
        return MessageListPage(
            messages: matches[lower..<upper].map(\.message), totalCount: includeCount ? matches.count : nil,
            hasMore: upper < matches.count)
    }

    // MARK: - Delta

    enum DeltaItem: Sendable {
        case message(EmulatedMessage)
        case removed(id: String, immutableID: String)
    }

    struct MessageDeltaPage: Sendable {
        var items: [DeltaItem]
        /// The state for `@odata.deltaLink` when `isComplete`, else for `@odata.nextLink`.
        var token: DeltaToken
        var isComplete: Bool
    }

    /// One page of a message delta round for a folder.
    ///
    /// The initial round (no base) walks the folder's index newest first. A later round
    /// walks the change log from the token's base and reports each message's latest state
    /// plus tombstones for messages that left the folder. The round's upper bound is fixed
    /// when it starts, so the deltaLink of the last page covers whatever happened meanwhile.
    /// `replay`: the next page starts one item back, so its first item repeats this page's last
    /// (the replays Graph's documentation tells clients to expect).
    func messageDelta(folderID: String, token: DeltaToken, pageSize: Int, replay: Bool = false) throws(MailboxError) -> MessageDeltaPage {
        guard token.kind == .messages, token.folderID == folderID, folders[folderID] != nil,
              (token.base ?? 0) <= sequence, (token.round ?? 0) <= sequence,
              (token.cursorSequence ?? 0) <= sequence
        else { throw .syncStateNotFound }
        var state = token
        let round = token.round ?? sequence
        state.round = round
        let filter: (EmulatedMessage) -> Bool = { message in
            guard let from = token.receivedFrom else { return true }
            return token.receivedInclusive == false ? message.received > from : message.received >= from
        }
        var items: [DeltaItem] = []

        if let base = token.base {
            var cursor = token.cursorSequence ?? base
            var previousCursor = cursor
            var position = firstChange(after: cursor)
            while position < changeLog.count, changeLog[position].sequence <= round {
                let entry = changeLog[position]
                position += 1
                guard entry.folderID == folderID else { continue }
                let item: DeltaItem
                switch entry.change {
                case .removed(let id, let immutableID):
                    item = .removed(id: id, immutableID: immutableID)
                case .upsert(let slot):
                    // Only the latest change of a message counts, and only while it is still here.
                    guard let record = records[slot], record.changeSequence == entry.sequence,
                          record.message.parentFolderID == folderID, filter(record.message)
                    else { continue }
                    item = .message(record.message)
                }
                if items.count == pageSize {
                    state.cursorSequence = replay && items.count > 1 ? previousCursor : cursor
                    return MessageDeltaPage(items: items, token: state, isComplete: false)
                }
                items.append(item)
                previousCursor = cursor
                cursor = entry.sequence
            }
            return MessageDeltaPage(items: items, token: token.nextRound(from: round), isComplete: true)
        }

        let entries = folderIndex[folderID]?.entries ?? []
        var position = 0
        if let received = token.cursorReceived, let slot = token.cursorSlot {
            position = (folderIndex[folderID] ?? MessageIndex()).position(after: .init(received: received, slot: slot))
        }
        var previous = (received: token.cursorReceived, slot: token.cursorSlot)
        while position < entries.count {
            let entry = entries[position]
            position += 1
            if let from = token.receivedFrom,
               token.receivedInclusive == false ? entry.received <= from : entry.received < from {
                break  // The index is newest first: nothing older can match.
            }
            guard let record = records[entry.slot] else { continue }
            if items.count == pageSize {
                if replay && items.count > 1 {
                    state.cursorReceived = previous.received
                    state.cursorSlot = previous.slot
                }
                return MessageDeltaPage(items: items, token: state, isComplete: false)
            }
            items.append(.message(record.message))
            previous = (state.cursorReceived, state.cursorSlot)
            state.cursorReceived = entry.received
            state.cursorSlot = entry.slot
        }
        return MessageDeltaPage(items: items, token: token.nextRound(from: round), isComplete: true)
    }

    // Folder delta (with `@removed` and per-subtree rounds): Mailbox+Folders.swift.

    private func firstChange(after sequence: UInt64) -> Int {
        var low = 0
        var high = changeLog.count
        while low < high {
            let middle = (low + high) / 2
            if changeLog[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
        }
        return low
    }

    // MARK: - Changes

    /// Marks a message read or unread.
    @discardableResult
    public func markRead(id: String, _ isRead: Bool = true) throws(MailboxError) -> EmulatedMessage {
        try update(id: id) { $0.isRead = isRead }
    }

    /// Applies `change` to a message's mutable properties (ids, folder and dates are kept)
    /// and records it as one change, as a PATCH would.
    @discardableResult
    public func update(id: String, _ change: @Sendable (inout EmulatedMessage) -> Void) throws(MailboxError) -> EmulatedMessage {
        let slot = try slot(for: id)
        var record = records[slot]!
        let before = record.message
        var message = before
        change(&message)
        message.id = before.id
        message.parentFolderID = before.parentFolderID
        message.changeKey = before.changeKey
        message.created = before.created
        message.received = before.received
        record.message = message
        if before.isRead != message.isRead {
            unread[message.parentFolderID, default: 0] += message.isRead ? -1 : 1
            folderSequence[message.parentFolderID] = sequence + 1
        }
        records[slot] = record
        commit(slot: slot)
        return records[slot]!.message
    }

    /// Moves a message to another folder (id or well-known name). Like Graph, the regular id
    /// changes and the immutable id does not; the source folder's delta reports `@removed`.
    @discardableResult
    public func move(id: String, to destination: String) throws(MailboxError) -> EmulatedMessage {
        let slot = try slot(for: id)
        guard let target = resolveFolderID(destination), target != rootFolderID else {
            throw .folderNotFound(destination)
        }
        let message = records[slot]!.message
        if message.parentFolderID == target { return message }
        removeFromFolder(slot: slot)
        var record = records[slot]!
        let newID = mintMessageIDs().regular
        record.message.id = newID
        record.message.parentFolderID = target
        records[slot] = record
        slotByID[newID] = slot
        addToFolder(slot: slot)
        commit(slot: slot)
        return records[slot]!.message
    }

    /// Graph's DELETE: a message outside Deleted Items moves there (new regular id); a
    /// message already in Deleted Items is removed for good.
    public func delete(id: String) throws(MailboxError) {
        let slot = try slot(for: id)
        let deletedItems = wellKnown["deleteditems"]
        if let deletedItems, records[slot]!.message.parentFolderID != deletedItems {
            try move(id: id, to: deletedItems)
        } else {
            try permanentlyDelete(id: id)
        }
    }

    /// Removes a message from the mailbox.
    public func permanentlyDelete(id: String) throws(MailboxError) {
        let slot = try slot(for: id)
        let message = records[slot]!.message
        removeFromFolder(slot: slot)
        allIndex.remove(.init(received: message.received, slot: slot))
        slotByID[message.immutableID] = nil
        records[slot] = nil
    }

    /// Adds a message as if it had just arrived, in `folder` (id or well-known name).
    @discardableResult
    public func deliver(_ new: NewMessage, to folder: String = "inbox") throws(MailboxError) -> EmulatedMessage {
        guard let folderID = resolveFolderID(folder), folderID != rootFolderID else { throw .folderNotFound(folder) }
        minted += 1
        let received = new.receivedDateTime.map(GraphDate.seconds) ?? logicalNow(after: 1)
        let conversationSeed = StableHash.mix(idSeed, 0xC0, minted)
        let domain = new.from.address.split(separator: "@").last.map(String.init) ?? "example.com"
        let message = EmulatedMessage(
            id: GraphID.message(seed: StableHash.mix(idSeed, 0x4D, minted)),
            immutableID: GraphID.immutableMessage(seed: StableHash.mix(idSeed, 0x4E, minted)),
            parentFolderID: folderID, changeKey: "",
            conversationID: new.conversationID ?? GraphID.conversation(seed: conversationSeed),
            conversationIndex: GraphID.base64Bytes(count: 22, seed: conversationSeed),
            internetMessageID: "<\(String(StableHash.mix(idSeed, 0x1A, minted), radix: 16))@\(domain)>",
            subject: new.subject, from: new.from, sender: new.from,
            toRecipients: new.toRecipients.isEmpty ? [.init(name: owner.displayName, address: owner.address)] : new.toRecipients,
            ccRecipients: new.ccRecipients, bccRecipients: [], replyTo: [], isRead: new.isRead, isDraft: false,
            importance: new.importance,
            inferenceClassification: deliveredClassification(new.inferenceClassification, sender: new.from.address, folderID: folderID),
            flag: .notFlagged,
            categories: new.categories, hasAttachments: new.attachments.contains { !$0.isInline },
            isReadReceiptRequested: false, isDeliveryReceiptRequested: false, mentionsOwner: new.mentionsOwner,
            created: received, lastModified: received, received: received, sent: received - 2,
            content: .stored(StoredContent(body: new.body, uniqueBody: nil, attachments: new.attachments)))
        let slot = records.count
        records.append(Record(message: message, changeSequence: 0, version: 0))
        slotByID[message.id] = slot
        slotByID[message.immutableID] = slot
        allIndex.insert(.init(received: received, slot: slot))
        addToFolder(slot: slot)
        commit(slot: slot)
        return records[slot]!.message
    }

    /// A deterministic clock: the reference date plus one second per change so far.
    func logicalNow(after extra: UInt64 = 0) -> Int64 {
        referenceSeconds + Int64(sequence + extra)
    }

    /// Records a message's new state: next sequence number, new changeKey, change-log entry.
    func commit(slot: Int) {
        sequence += 1
        var record = records[slot]!
        record.changeSequence = sequence
        record.version += 1
        record.message.changeKey = GraphID.changeKey(
            seed: StableHash.mix(idSeed, 0xCE, StableHash.string(record.message.immutableID), record.version))
        record.message.lastModified = max(record.message.lastModified, logicalNow())
        records[slot] = record
        changeLog.append(ChangeEntry(sequence: sequence, folderID: record.message.parentFolderID, change: .upsert(slot: slot)))
    }

    func removeFromFolder(slot: Int) {
        let message = records[slot]!.message
        let folderID = message.parentFolderID
        folderIndex[folderID]?.remove(.init(received: message.received, slot: slot))
        if !message.isRead { unread[folderID, default: 0] -= 1 }
        slotByID[message.id] = nil
        sequence += 1
        folderSequence[folderID] = sequence
        changeLog.append(ChangeEntry(
            sequence: sequence, folderID: folderID, change: .removed(id: message.id, immutableID: message.immutableID)))
    }

    func addToFolder(slot: Int) {
        let message = records[slot]!.message
        folderIndex[message.parentFolderID, default: MessageIndex()].insert(.init(received: message.received, slot: slot))
        if !message.isRead { unread[message.parentFolderID, default: 0] += 1 }
        folderSequence[message.parentFolderID] = sequence + 1
    }
}
