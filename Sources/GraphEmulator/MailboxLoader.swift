import Foundation

public struct MailboxLoaderError: Error, CustomStringConvertible, Equatable {
    /// The file the problem is in (`messages.jsonl`, `manifest.json`, …).
    public var file: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    public var reason: String

    public var description: String {
        if let line { return "\(file) line \(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// Loads a mailbox written in tuibench's Graph JSON Lines form (see the tuibench README):
/// `manifest.json` plus `graph/folders.jsonl`, `graph/messages.jsonl` and, optionally,
/// `graph/attachments.jsonl`. Each line is a Graph resource; unknown properties and
/// `@tuibench.*` annotations are ignored except `@tuibench.path`, `@tuibench.mentionsOwner`
/// and `@tuibench.messageId`, which the emulator uses.
public enum MailboxLoader {
    /// `directory` is the corpus root (holding `manifest.json` and `graph/`) or the `graph`
    /// folder itself.
    public static func load(directory: URL) throws -> MailboxContent {
        let fileManager = FileManager.default
        var graph = directory.appendingPathComponent("graph")
        if !fileManager.fileExists(atPath: graph.appendingPathComponent("messages.jsonl").path) {
            graph = directory
        }
        let manifestURL = [directory.appendingPathComponent("manifest.json"),
                           graph.deletingLastPathComponent().appendingPathComponent("manifest.json")]
            .first { fileManager.fileExists(atPath: $0.path) }
        let manifest = try manifestURL.map(readManifest) ?? Manifest()

        let reader = Reader()
        let folderDTOs: [(Int, FolderDTO)] = try reader.lines(of: graph.appendingPathComponent("folders.jsonl"), required: true)
        let messageDTOs: [(Int, MessageDTO)] = try reader.lines(of: graph.appendingPathComponent("messages.jsonl"), required: true)
        let attachmentDTOs: [(Int, AttachmentDTO)] = try reader.lines(
            of: graph.appendingPathComponent("attachments.jsonl"), required: false)

        let folderIDs = Set(folderDTOs.map(\.1.id))
        let rootID = try manifest.graphRootFolderId ?? inferRoot(folderDTOs, ids: folderIDs)
        let folders = try buildFolders(folderDTOs, rootID: rootID)
        let attachments = try groupAttachments(attachmentDTOs, messageIDs: Set(messageDTOs.map(\.1.id)))

        var messages: [EmulatedMessage] = []
        messages.reserveCapacity(messageDTOs.count)
        var seenIDs: Set<String> = []
        var latest: Int64 = 0
        for (line, dto) in messageDTOs {
            let fail = { (reason: String) in MailboxLoaderError(file: "messages.jsonl", line: line, reason: reason) }
            guard seenIDs.insert(dto.id).inserted else { throw fail("duplicate message id \(dto.id)") }
            guard folderIDs.contains(dto.parentFolderId) else {
                throw fail("parentFolderId \(dto.parentFolderId) is not in folders.jsonl")
            }
            let message = try dto.message(attachments: attachments[dto.id] ?? [], fail: fail)
            latest = max(latest, message.received, message.lastModified)
            messages.append(message)
        }
        if let end = manifest.dateRange?.last.flatMap(GraphDate.parse) { latest = max(latest, end) }

        let ownerName = manifest.owner?.name ?? GeneratorText.ownerName
        let ownerAddress = manifest.owner?.address ?? GeneratorText.ownerAddress
        let nameParts = ownerName.split(separator: " ", maxSplits: 1).map(String.init)
        let owner = MailboxOwner(
            id: GraphID.guid(seed: StableHash.string(ownerAddress.lowercased())), displayName: ownerName,
            givenName: nameParts.first ?? ownerName, surname: nameParts.count > 1 ? nameParts[1] : "",
            address: ownerAddress)
        return MailboxContent(
            owner: owner, rootFolderID: rootID, folders: folders, messages: messages,
            referenceDate: GraphDate.date(latest), idSeed: StableHash.string(rootID, seed: 0x10AD))
    }

    // MARK: - Manifest and folders

    struct Manifest: Decodable {
        struct Owner: Decodable {
            var name: String?
            var address: String?
        }

        var graphRootFolderId: String?
        var owner: Owner?
        var dateRange: [String]?
    }

    private static func readManifest(_ url: URL) throws -> Manifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MailboxLoaderError(file: "manifest.json", line: nil, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw MailboxLoaderError(file: "manifest.json", line: nil, reason: Reader.describe(error))
        }
    }

    /// Without a manifest the root is the one parent id that is not itself a folder.
    private static func inferRoot(_ folders: [(Int, FolderDTO)], ids: Set<String>) throws -> String {
        let parents = Set(folders.map(\.1.parentFolderId)).subtracting(ids)
        guard parents.count == 1, let root = parents.first else {
            throw MailboxLoaderError(
                file: "manifest.json", line: nil,
                reason: "graphRootFolderId is missing and the root folder cannot be inferred from folders.jsonl")
        }
        return root
    }

    /// Well-known names of top-level folders, by their English display names (the JSONL form
    /// has no `wellKnownName`).
    static let wellKnownByDisplayName: [String: String] = [
        "inbox": "inbox", "drafts": "drafts", "sent items": "sentitems", "deleted items": "deleteditems",
        "junk email": "junkemail", "archive": "archive", "outbox": "outbox",
        "conversation history": "conversationhistory", "clutter": "clutter", "sync issues": "syncissues",
        "scheduled": "scheduled",
    ]

    private static func buildFolders(_ dtos: [(Int, FolderDTO)], rootID: String) throws -> [EmulatedFolder] {
        var byID: [String: (line: Int, dto: FolderDTO)] = [:]
        for (line, dto) in dtos {
            guard byID[dto.id] == nil else {
                throw MailboxLoaderError(file: "folders.jsonl", line: line, reason: "duplicate folder id \(dto.id)")
            }
            byID[dto.id] = (line, dto)
        }
        var result: [EmulatedFolder] = []
        var placed: Set<String> = []
        // Parents before children, keeping the file's order otherwise.
        func place(_ id: String, depth: Int) throws {
            guard !placed.contains(id), let (line, dto) = byID[id] else { return }
            guard depth < 64 else {
                throw MailboxLoaderError(file: "folders.jsonl", line: line, reason: "folder parents form a cycle")
            }
            if dto.parentFolderId != rootID {
                guard byID[dto.parentFolderId] != nil else {
                    throw MailboxLoaderError(
                        file: "folders.jsonl", line: line,
                        reason: "parentFolderId \(dto.parentFolderId) is neither a folder nor the root")
                }
                try place(dto.parentFolderId, depth: depth + 1)
            }
            let parentPath = dto.parentFolderId == rootID ? nil : result.first { $0.id == dto.parentFolderId }?.path
            let path = dto.path ?? (parentPath.map { "\($0)/\(dto.displayName)" } ?? dto.displayName)
            let wellKnown = dto.wellKnownName?.lowercased()
                ?? (dto.parentFolderId == rootID ? wellKnownByDisplayName[dto.displayName.lowercased()] : nil)
            result.append(EmulatedFolder(
                id: dto.id, displayName: dto.displayName, parentFolderID: dto.parentFolderId, wellKnownName: wellKnown,
                isHidden: dto.isHidden ?? false, path: path))
            placed.insert(id)
        }
        for (_, dto) in dtos { try place(dto.id, depth: 0) }
        return result
    }

    private static func groupAttachments(
        _ dtos: [(Int, AttachmentDTO)], messageIDs: Set<String>
    ) throws -> [String: [EmulatedMessage.Attachment]] {
        var result: [String: [EmulatedMessage.Attachment]] = [:]
        for (line, dto) in dtos {
            let fail = { (reason: String) in MailboxLoaderError(file: "attachments.jsonl", line: line, reason: reason) }
            guard let owner = dto.messageId else { throw fail("missing \"@tuibench.messageId\"") }
            guard messageIDs.contains(owner) else { throw fail("@tuibench.messageId \(owner) is not in messages.jsonl") }
            var modified: Int64 = 0
            if let text = dto.lastModifiedDateTime {
                guard let seconds = GraphDate.parse(text) else { throw fail("lastModifiedDateTime '\(text)' is not a date") }
                modified = seconds
            }
            result[owner, default: []].append(EmulatedMessage.Attachment(
                id: dto.id, name: dto.name, contentType: dto.contentType ?? "application/octet-stream",
                size: dto.size ?? (dto.contentBytes.map { $0.utf8.count / 4 * 3 } ?? 0), isInline: dto.isInline ?? false,
                lastModified: modified, contentBytes: dto.contentBytes))
        }
        return result
    }
}

// MARK: - Line reading

private struct Reader {
    let decoder = JSONDecoder()

    /// Decodes one resource per non-empty line, reporting the file name and line on errors.
    func lines<T: Decodable>(of url: URL, required: Bool) throws -> [(Int, T)] {
        let name = url.lastPathComponent
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required { throw MailboxLoaderError(file: name, line: nil, reason: "file not found at \(url.path)") }
            return []
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw MailboxLoaderError(file: name, line: nil, reason: "cannot be opened")
        }
        defer { try? handle.close() }
        var result: [(Int, T)] = []
        var pending = Data()
        var lineNumber = 0
        func decodeLine(_ line: Data) throws {
            lineNumber += 1
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            do {
                result.append((lineNumber, try decoder.decode(T.self, from: line)))
            } catch {
                throw MailboxLoaderError(file: name, line: lineNumber, reason: Self.describe(error))
            }
        }
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw MailboxLoaderError(file: name, line: nil, reason: "read failed (\(error.localizedDescription))")
            }
            guard let chunk, !chunk.isEmpty else { break }
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try decodeLine(pending[start..<newline])
                start = pending.index(after: newline)
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { try decodeLine(pending) }
        return result
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
            let keys = context.codingPath.map(\.stringValue) + (key.map { [$0.stringValue] } ?? [])
            return keys.isEmpty ? "the line" : "\"" + keys.joined(separator: ".") + "\""
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(path(context, key))"
        case .typeMismatch(let type, let context): return "\(path(context)) is not of type \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)) is null but must be a \(type)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

// MARK: - Resources as stored

private struct FolderDTO: Decodable {
    var id: String
    var displayName: String
    var parentFolderId: String
    var isHidden: Bool?
    var wellKnownName: String?
    var path: String?

    enum CodingKeys: String, CodingKey {
        case id, displayName, parentFolderId, isHidden, wellKnownName
        case path = "@tuibench.path"
    }
}

private struct RecipientDTO: Decodable {
    struct Address: Decodable {
        var name: String?
        var address: String?
    }

    var emailAddress: Address?

    var recipient: EmulatedMessage.Recipient? {
        guard let emailAddress else { return nil }
        let address = emailAddress.address ?? ""
        return .init(name: emailAddress.name ?? address, address: address)
    }
}

private struct BodyDTO: Decodable {
    var contentType: String?
    var content: String?
}

private struct DateTimeTimeZoneDTO: Decodable {
    var dateTime: String
    var timeZone: String?
}

private struct FlagDTO: Decodable {
    var flagStatus: String?
    var startDateTime: DateTimeTimeZoneDTO?
    var dueDateTime: DateTimeTimeZoneDTO?
    var completedDateTime: DateTimeTimeZoneDTO?
}

private struct MentionsPreviewDTO: Decodable {
    var isMentioned: Bool?
}

private struct AttachmentDTO: Decodable {
    var id: String?
    var name: String
    var contentType: String?
    var size: Int?
    var isInline: Bool?
    var lastModifiedDateTime: String?
    var contentBytes: String?
    var messageId: String?

    enum CodingKeys: String, CodingKey {
        case id, name, contentType, size, isInline, lastModifiedDateTime, contentBytes
        case messageId = "@tuibench.messageId"
    }
}

private struct MessageDTO: Decodable {
    var id: String
    var parentFolderId: String
    var createdDateTime: String?
    var lastModifiedDateTime: String?
    var receivedDateTime: String?
    var sentDateTime: String?
    var changeKey: String?
    var categories: [String]?
    var hasAttachments: Bool?
    var internetMessageId: String?
    var subject: String?
    var bodyPreview: String?
    var importance: String?
    var conversationId: String?
    var conversationIndex: String?
    var isDeliveryReceiptRequested: Bool?
    var isReadReceiptRequested: Bool?
    var isRead: Bool?
    var isDraft: Bool?
    var inferenceClassification: String?
    var body: BodyDTO?
    var uniqueBody: BodyDTO?
    var sender: RecipientDTO?
    var from: RecipientDTO?
    var toRecipients: [RecipientDTO]?
    var ccRecipients: [RecipientDTO]?
    var bccRecipients: [RecipientDTO]?
    var replyTo: [RecipientDTO]?
    var flag: FlagDTO?
    var mentionsPreview: MentionsPreviewDTO?
    var mentionsOwner: Bool?

    enum CodingKeys: String, CodingKey {
        case id, parentFolderId, createdDateTime, lastModifiedDateTime, receivedDateTime, sentDateTime, changeKey
        case categories, hasAttachments, internetMessageId, subject, bodyPreview, importance, conversationId
        case conversationIndex, isDeliveryReceiptRequested, isReadReceiptRequested, isRead, isDraft
        case inferenceClassification, body, uniqueBody, sender, from, toRecipients, ccRecipients, bccRecipients
        case replyTo, flag, mentionsPreview
        case mentionsOwner = "@tuibench.mentionsOwner"
    }

    func message(
        attachments: [EmulatedMessage.Attachment], fail: (String) -> MailboxLoaderError
    ) throws -> EmulatedMessage {
        func date(_ text: String?, _ field: String) throws -> Int64? {
            guard let text else { return nil }
            guard let seconds = GraphDate.parse(text) else { throw fail("\(field) '\(text)' is not a date") }
            return seconds
        }
        func enumeration<E: RawRepresentable & CaseIterable>(_ text: String?, _ field: String, default value: E) throws -> E
        where E.RawValue == String {
            guard let text else { return value }
            guard let match = E.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw fail("\(field) '\(text)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return match
        }
        func itemBody(_ dto: BodyDTO?, _ field: String) throws -> EmulatedMessage.Body? {
            guard let dto else { return nil }
            let type = try enumeration(dto.contentType, "\(field).contentType", default: EmulatedMessage.Body.ContentType.text)
            return EmulatedMessage.Body(contentType: type, content: dto.content ?? "")
        }

        guard let received = try date(receivedDateTime, "receivedDateTime") ?? date(createdDateTime, "createdDateTime") else {
            throw fail("missing \"receivedDateTime\"")
        }
        let created = try date(createdDateTime, "createdDateTime") ?? received
        let lastModified = try date(lastModifiedDateTime, "lastModifiedDateTime") ?? received
        let sent = try date(sentDateTime, "sentDateTime")
        let status = try enumeration(flag?.flagStatus, "flag.flagStatus", default: EmulatedMessage.FlagStatus.notFlagged)
        let flagValue = EmulatedMessage.Flag(
            status: status, start: try date(flag?.startDateTime?.dateTime, "flag.startDateTime"),
            due: try date(flag?.dueDateTime?.dateTime, "flag.dueDateTime"),
            completed: try date(flag?.completedDateTime?.dateTime, "flag.completedDateTime"))
        let storedBody = try itemBody(body, "body") ?? EmulatedMessage.Body(contentType: .text, content: "")
        let content = StoredContent(
            body: storedBody, uniqueBody: try itemBody(uniqueBody, "uniqueBody"), attachments: attachments,
            preview: bodyPreview)
        let hash = StableHash.string(id)
        let from = from?.recipient
        return EmulatedMessage(
            id: id, immutableID: GraphID.immutableMessage(seed: hash), parentFolderID: parentFolderId,
            changeKey: changeKey ?? GraphID.changeKey(seed: hash), conversationID: conversationId ?? GraphID.conversation(seed: hash),
            conversationIndex: conversationIndex ?? "", internetMessageID: internetMessageId ?? "<\(String(hash, radix: 16))@loaded.invalid>",
            subject: subject ?? "", from: from, sender: sender?.recipient ?? from,
            toRecipients: (toRecipients ?? []).compactMap(\.recipient), ccRecipients: (ccRecipients ?? []).compactMap(\.recipient),
            bccRecipients: (bccRecipients ?? []).compactMap(\.recipient), replyTo: (replyTo ?? []).compactMap(\.recipient),
            isRead: isRead ?? true, isDraft: isDraft ?? false,
            importance: try enumeration(importance, "importance", default: .normal),
            inferenceClassification: try enumeration(inferenceClassification, "inferenceClassification", default: .focused),
            flag: flagValue, categories: categories ?? [],
            hasAttachments: hasAttachments ?? attachments.contains { !$0.isInline },
            isReadReceiptRequested: isReadReceiptRequested ?? false, isDeliveryReceiptRequested: isDeliveryReceiptRequested,
            mentionsOwner: mentionsOwner ?? mentionsPreview?.isMentioned ?? false,
            created: created, lastModified: lastModified, received: received, sent: sent, content: .stored(content))
    }
}
