import Foundation

extension EmulatedMessage.Attachment {
    /// Graph's three attachment types.
    public enum Kind: Sendable, Equatable {
        /// `fileAttachment`: bytes (stored base64, or generated on demand).
        case file
        /// `itemAttachment` holding a message (`$expand=microsoft.graph.itemattachment/item`).
        case item(AttachedMessage)
        /// `referenceAttachment`: a link to a file in the cloud; it has no `$value`.
        case reference(Link)
    }

    /// Where a reference attachment points (beta `referenceAttachment` properties).
    public struct Link: Sendable, Equatable {
        public var sourceURL: String
        /// `oneDriveBusiness`, `oneDriveConsumer`, `dropbox` or `other`.
        public var providerType: String
        /// `view`, `edit`, `organizationView`, `organizationEdit`, `anonymousView`, `anonymousEdit` or `other`.
        public var permission: String
        public var isFolder: Bool

        public init(sourceURL: String, providerType: String = "oneDriveBusiness", permission: String = "organizationView", isFolder: Bool = false) {
            self.sourceURL = sourceURL
            self.providerType = providerType
            self.permission = permission
            self.isFolder = isFolder
        }
    }

    /// The Graph type name, as written in `@odata.type`.
    var odataType: String {
        switch kind {
        case .file: "#microsoft.graph.fileAttachment"
        case .item: "#microsoft.graph.itemAttachment"
        case .reference: "#microsoft.graph.referenceAttachment"
        }
    }
}

/// The message inside an item attachment (a forwarded or attached email).
public struct AttachedMessage: Sendable, Equatable {
    public var subject: String
    public var from: EmulatedMessage.Recipient?
    public var toRecipients: [EmulatedMessage.Recipient]
    public var ccRecipients: [EmulatedMessage.Recipient]
    var sent: Int64
    public var body: EmulatedMessage.Body
    public var importance: EmulatedMessage.Importance
    public var internetMessageID: String

    public var sentDateTime: Date { GraphDate.date(sent) }

    public init(
        subject: String, from: EmulatedMessage.Recipient?, toRecipients: [EmulatedMessage.Recipient] = [],
        ccRecipients: [EmulatedMessage.Recipient] = [], sentDateTime: Date, body: EmulatedMessage.Body,
        importance: EmulatedMessage.Importance = .normal, internetMessageID: String
    ) {
        self.subject = subject
        self.from = from
        self.toRecipients = toRecipients
        self.ccRecipients = ccRecipients
        sent = GraphDate.seconds(sentDateTime)
        self.body = body
        self.importance = importance
        self.internetMessageID = internetMessageID
    }

    init(
        subject: String, from: EmulatedMessage.Recipient?, toRecipients: [EmulatedMessage.Recipient],
        ccRecipients: [EmulatedMessage.Recipient], sent: Int64, body: EmulatedMessage.Body,
        importance: EmulatedMessage.Importance, internetMessageID: String
    ) {
        self.subject = subject
        self.from = from
        self.toRecipients = toRecipients
        self.ccRecipients = ccRecipients
        self.sent = sent
        self.body = body
        self.importance = importance
        self.internetMessageID = internetMessageID
    }

    /// The RFC 5322 form served as the attachment's `$value`.
    var mime: [UInt8] {
        func header(_ text: String) -> String {
            // RFC 2047: non-ASCII header text goes base64 in an encoded word.
            text.utf8.allSatisfy { $0 < 0x80 } ? text : "=?utf-8?B?\(Data(text.utf8).base64EncodedString())?="
        }
        func address(_ recipient: EmulatedMessage.Recipient) -> String { "\(header(recipient.name)) <\(recipient.address)>" }
        var lines: [String] = []
        if let from { lines.append("From: \(address(from))") }
        if !toRecipients.isEmpty { lines.append("To: " + toRecipients.map(address).joined(separator: ", ")) }
        if !ccRecipients.isEmpty { lines.append("Cc: " + ccRecipients.map(address).joined(separator: ", ")) }
        lines.append("Subject: \(header(subject))")
        lines.append("Date: \(GraphDate.formatRFC5322(sent))")
        lines.append("Message-ID: \(internetMessageID)")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/\(body.contentType == .html ? "html" : "plain"); charset=\"utf-8\"")
        lines.append("Content-Transfer-Encoding: 8bit")
        let text = lines.joined(separator: "\r\n") + "\r\n\r\n" + body.content.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        return Array(text.utf8)
    }
}

/// Ids, content and the generated variety of attachments.
///
/// Attachment ids extend the message id as Graph's do (message `AAMkAGUzY5QKjAAA=` →
/// attachment `AAMkAGUzY5QKjAAABEgAQAMkpJI_X-LBFgvrv1PlZYd8=`), so they change with the
/// message's regular id and have an immutable form under `Prefer: IdType="ImmutableId"`.
/// Generated file content is computed from a seed in the requested range only, so a mailbox
/// with thousands of multi-megabyte attachments costs no memory for them.
enum AttachmentCatalog {
    /// One attachment as served: where it sits in the list and its stable key.
    struct Served: Sendable {
        var attachment: EmulatedMessage.Attachment
        var index: Int
        var key: UInt64
    }

    static func served(_ message: EmulatedMessage) -> [Served] {
        message.attachments.enumerated().map { index, attachment in
            Served(attachment: attachment, index: index, key: key(of: attachment, at: index))
        }
    }

    static func key(of attachment: EmulatedMessage.Attachment, at index: Int) -> UInt64 {
        if attachment.key != 0 { return attachment.key }
        return StableHash.mix(StableHash.string(attachment.id ?? attachment.name), UInt64(index) &+ 1) | 1
    }

    /// The attachment id under the message id the client sees (regular or immutable).
    static func id(messageID: String, immutableID: String, key: UInt64) -> String {
        var base = messageID
        while base.hasSuffix("=") { base.removeLast() }
        var generator = SplitMix64(seed: StableHash.mix(StableHash.string(immutableID), key))
        var suffix = ""
        suffix.reserveCapacity(22)
        var value: UInt64 = 0
        var available = 0
        for _ in 0..<22 {
            if available < 6 {
                value = generator.next()
                available = 64
            }
            suffix.unicodeScalars.append(urlSafeAlphabet[Int(value & 63)])
            value >>= 6
            available -= 6
        }
        return base + "BEgAQA" + suffix + "="
    }

    static func id(of served: Served, in message: EmulatedMessage, immutableIDs: Bool) -> String {
        id(messageID: immutableIDs ? message.immutableID : message.id, immutableID: message.immutableID, key: served.key)
    }

    /// The attachment an id names: the regular or immutable form, or the id a loaded corpus gave it.
    static func find(_ attachmentID: String, in message: EmulatedMessage) -> Served? {
        served(message).first { served in
            attachmentID == id(messageID: message.id, immutableID: message.immutableID, key: served.key)
                || attachmentID == id(messageID: message.immutableID, immutableID: message.immutableID, key: served.key)
                || (served.attachment.id != nil && served.attachment.id == attachmentID)
        }
    }

    private static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".unicodeScalars)

    // MARK: - Content

    /// The bytes of a file attachment: stored (decoded from base64) or generated.
    static func content(of attachment: EmulatedMessage.Attachment, key: UInt64) -> AttachmentBytes {
        if let base64 = attachment.contentBytes {
            return .stored(Array(Data(base64Encoded: base64, options: .ignoreUnknownCharacters) ?? Data()))
        }
        return .generated(GeneratedFile(seed: StableHash.mix(key, UInt64(attachment.size)), size: attachment.size,
                                        contentType: attachment.contentType))
    }

    // MARK: - Generated variety

    /// Gives generated attachments their keys and turns some of them into the other two
    /// types: a linked cloud file instead of an Office document or PDF, or an attached email.
    static func finishGenerated(_ list: inout [EmulatedMessage.Attachment], message: EmulatedMessage, seed: UInt64) {
        for index in list.indices {
            var random = SplitMix64(seed: StableHash.mix(seed, 0xA7C, UInt64(index)))
            list[index].key = random.next() | 1
            let roll = random.unit()
            let linkable = ["pdf", "docx", "xlsx", "pptx"].contains(list[index].name.split(separator: ".").last.map(String.init) ?? "")
            if linkable, roll < 0.15 {
                list[index].kind = .reference(.init(
                    sourceURL: oneDriveURL(owner: message.from?.address ?? "", name: list[index].name),
                    permission: random.chance(0.5) ? "organizationView" : "organizationEdit"))
                // A reference attachment's size is that of its metadata, not of the file.
                list[index].size = random.int(in: 380...900)
            } else if roll > 0.9 {
                let attached = attachedMessage(for: message, random: &random)
                list[index].kind = .item(attached)
                list[index].name = attached.subject
                list[index].contentType = ""
                list[index].size = random.int(in: 6_000...60_000)
            }
        }
    }

    private static func oneDriveURL(owner address: String, name: String) -> String {
        let parts = address.split(separator: "@")
        let tenant = parts.count == 2 ? String(parts[1].split(separator: ".").first ?? "contoso") : "contoso"
        let user = address.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        let file = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        return "https://\(tenant)-my.sharepoint.com/personal/\(user)/Documents/\(file)"
    }

    private static let attachedSubjects = [
        "Original request", "Meeting notes from Tuesday", "Approved: travel request", "Invoice query",
        "Customer feedback", "Updated timeline", "Re: contract questions", "Offsite logistics",
    ]

    private static let attachedLines = [
        "Forwarding this for context, see the thread below.",
        "Here are the notes we agreed on in the meeting.",
        "Please keep this for the record; it has the numbers we discussed.",
        "This is the message I mentioned on the call.",
    ]

    private static func attachedMessage(for message: EmulatedMessage, random: inout SplitMix64) -> AttachedMessage {
        let subject = random.pick(attachedSubjects)
        let sent = message.created - Int64(random.int(in: 3_600...(20 * 86_400)))
        let text = random.pick(attachedLines)
        return AttachedMessage(
            subject: subject, from: message.from, toRecipients: message.toRecipients, ccRecipients: [], sent: sent,
            body: .init(contentType: .html, content: "<html><body><p>\(text)</p></body></html>"), importance: .normal,
            internetMessageID: "<\(String(random.next(), radix: 16, uppercase: true))@attached.example>")
    }
}

/// The content of a file attachment, readable in ranges.
enum AttachmentBytes: Sendable {
    case stored([UInt8])
    case generated(GeneratedFile)

    var count: Int {
        switch self {
        case .stored(let bytes): bytes.count
        case .generated(let file): file.size
        }
    }

    func bytes(in range: Range<Int>) -> [UInt8] {
        switch self {
        case .stored(let bytes): Array(bytes[range])
        case .generated(let file): file.bytes(in: range)
        }
    }

    /// Base64 of the whole content, built in slices so that no second full copy is needed.
    var base64: String {
        var result = ""
        result.reserveCapacity((count + 2) / 3 * 4)
        let slice = 3 * 65_536
        var start = 0
        while start < count {
            let end = min(start + slice, count)
            result += GraphID.base64(bytes(in: start..<end))
            start = end
        }
        return result
    }
}

/// Deterministic file content of a given size whose first and last bytes are those of a real
/// file of its type (`%PDF-` … `%%EOF`, the PNG signature and `IEND`, a ZIP local header and
/// end-of-central-directory record for Office files, JPEG SOI/EOI), so that type sniffers and
/// viewers recognise it. Any range is computed without the rest.
struct GeneratedFile: Sendable {
    let seed: UInt64
    let size: Int
    let header: [UInt8]
    let trailer: [UInt8]
    let isText: Bool

    init(seed: UInt64, size: Int, contentType: String) {
        self.seed = seed
        self.size = max(0, size)
        let type = contentType.lowercased()
        var header: [UInt8]
        var trailer: [UInt8] = []
        var isText = false
        switch type {
        case "application/pdf":
            header = Array("%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n".utf8)
            trailer = Array("\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".utf8)
        case "image/png":
            header = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52,
                      0, 0, 0x04, 0, 0, 0, 0x03, 0, 0x08, 0x06, 0, 0, 0, 0x5E, 0x1B, 0x9C, 0x3E]
            trailer = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        case "image/jpeg":
            header = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x48,
                      0x00, 0x48, 0x00, 0x00]
            trailer = [0xFF, 0xD9]
        case _ where type.hasPrefix("application/vnd.openxmlformats") || type == "application/zip":
            header = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00] + Array(repeating: 0, count: 16)
                + [0x13, 0x00, 0x00, 0x00] + Array("[Content_Types].xml".utf8)
            trailer = [0x50, 0x4B, 0x05, 0x06] + Array(repeating: 0, count: 18)
        case "text/calendar":
            header = Array("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Contoso//Otter emulator//EN\r\nBEGIN:VEVENT\r\nDESCRIPTION:".utf8)
            trailer = Array("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".utf8)
            isText = true
        case "text/csv":
            header = Array("id,name,region,quarter,amount\r\n".utf8)
            isText = true
        case _ where type.hasPrefix("text/"):
            header = []
            isText = true
        default:
            header = []
        }
        // A file too small for both ends keeps as much of the header as fits.
        if header.count + trailer.count > self.size {
            trailer = []
            header = Array(header.prefix(self.size))
        }
        self.header = header
        self.trailer = trailer
        self.isText = isText
    }

    private static let text = Array("abcdefghijklmnopqrstuvwxyz ,.;0123456789 ETAOINSHRDLU etaoinshrdlu ".utf8)

    func bytes(in range: Range<Int>) -> [UInt8] {
        let range = range.clamped(to: 0..<size)
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        let trailerStart = size - trailer.count
        var position = range.lowerBound
        var block = -1
        var blockValue: UInt64 = 0
        while position < range.upperBound {
            if position < header.count {
                result.append(header[position])
            } else if position >= trailerStart {
                result.append(trailer[position - trailerStart])
            } else {
                // Eight bytes per draw, seeded by the block number: any range is reproducible.
                if position / 8 != block {
                    block = position / 8
                    blockValue = StableHash.mix(seed, UInt64(block))
                }
                let byte = UInt8(truncatingIfNeeded: blockValue >> (UInt64(position % 8) * 8))
                if isText {
                    result.append(position % 72 == 71 ? 0x0A : Self.text[Int(byte) % Self.text.count])
                } else {
                    result.append(byte)
                }
            }
            position += 1
        }
        return result
    }
}
