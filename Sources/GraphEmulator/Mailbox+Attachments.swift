import Foundation

/// Why a range PUT to an upload session was refused.
enum UploadSessionError: Error, Equatable {
    /// Unknown, cancelled, completed or expired session (404).
    case sessionNotFound
    /// The range does not start where the upload stands, or does not fit the declared size (416).
    case unexpectedRange(nextExpected: Int)
    /// The body length does not match the range, or the total does not match the session (400).
    case invalid(String)
}

extension Mailbox {
    /// How long an upload session's pre-authenticated URL stays valid. Graph does not document
    /// the lifetime; its examples show sessions of about a day at most.
    static let uploadSessionLifetime: TimeInterval = 6 * 3600

    /// A message's attachments as served (with their stable keys).
    func servedAttachments(ofMessage id: String) throws(MailboxError) -> (EmulatedMessage, [AttachmentCatalog.Served]) {
        let message = try message(id: id)
        return (message, AttachmentCatalog.served(message))
    }

    /// Adds an attachment to a message (`POST …/attachments`, or the end of an upload session).
    /// The message's changeKey and `lastModifiedDateTime` change and `hasAttachments` follows
    /// (inline attachments do not count). Returns the message and the new attachment's key.
    @discardableResult
    public func addAttachment(
        _ attachment: EmulatedMessage.Attachment, toMessage id: String
    ) throws(MailboxError) -> (message: EmulatedMessage, attachmentID: String) {
        var added = attachment
        userData.mintedAttachments += 1
        added.key = StableHash.mix(idSeed, 0xA77A, userData.mintedAttachments) | 1
        if added.lastModified == 0 { added.lastModified = logicalNow(after: 1) }
        let appended = added
        let message = try update(id: id) { message in
            message.replaceAttachments(message.attachments + [appended])
        }
        let attachmentID = AttachmentCatalog.id(messageID: message.id, immutableID: message.immutableID, key: appended.key)
        return (message, attachmentID)
    }

    /// Removes an attachment (`DELETE …/attachments/{id}`).
    public func removeAttachment(_ attachmentID: String, fromMessage id: String) throws(MailboxError) {
        let message = try message(id: id)
        guard let served = AttachmentCatalog.find(attachmentID, in: message) else { throw .messageNotFound(attachmentID) }
        try update(id: id) { message in
            var list = message.attachments
            // Keys derived from positions must not shift when an earlier attachment goes.
            for index in list.indices { list[index].key = AttachmentCatalog.key(of: list[index], at: index) }
            list.remove(at: served.index)
            message.replaceAttachments(list)
        }
    }

    // MARK: - Upload sessions

    func createUploadSession(
        messageID: String, name: String, size: Int, contentType: String, isInline: Bool, contentID: String?
    ) throws(MailboxError) -> AttachmentUploadSession {
        let message = try message(id: messageID)
        userData.mintedSessions += 1
        var random = SystemRandomNumberGenerator()
        let session = AttachmentUploadSession(
            id: GraphID.message(seed: StableHash.mix(idSeed, 0x5E55, userData.mintedSessions)),
            token: String(random.next(), radix: 36) + String(random.next(), radix: 36),
            messageImmutableID: message.immutableID, name: name, size: size, contentType: contentType,
            isInline: isInline, contentID: contentID, received: [],
            expiration: Date().addingTimeInterval(Self.uploadSessionLifetime))
        userData.uploadSessions[session.id] = session
        return session
    }

    /// The session, if it exists, the token matches and it has not expired.
    func uploadSession(id: String, token: String?) -> AttachmentUploadSession? {
        guard let session = userData.uploadSessions[id] else { return nil }
        if session.expiration <= Date() {
            userData.uploadSessions[id] = nil
            return nil
        }
        return session.token == token ? session : nil
    }

    enum UploadProgress: Sendable {
        case partial(nextExpected: Int, expiration: Date)
        case complete(message: EmulatedMessage, attachmentID: String)
    }

    /// Appends bytes `start...end` of `total`. Bytes must arrive in order ("You must upload
    /// bytes in a file in order"); the last range creates the attachment.
    func upload(
        sessionID: String, token: String?, start: Int, end: Int, total: Int, bytes: [UInt8]
    ) throws(UploadSessionError) -> UploadProgress {
        guard var session = uploadSession(id: sessionID, token: token) else { throw .sessionNotFound }
        guard total == session.size else {
            throw .invalid("The total size in Content-Range (\(total)) differs from the session's size (\(session.size)).")
        }
        guard start == session.received.count, end >= start, end < total else {
            throw .unexpectedRange(nextExpected: session.received.count)
        }
        guard bytes.count == end - start + 1 else {
            throw .invalid("The body has \(bytes.count) bytes but Content-Range announces \(end - start + 1).")
        }
        session.received += bytes
        guard session.received.count == session.size else {
            userData.uploadSessions[sessionID] = session
            return .partial(nextExpected: session.received.count, expiration: session.expiration)
        }
        userData.uploadSessions[sessionID] = nil
        var attachment = EmulatedMessage.Attachment(
            id: nil, name: session.name, contentType: session.contentType, size: session.size, isInline: session.isInline,
            lastModified: 0, contentBytes: GraphID.base64(session.received))
        attachment.contentID = session.contentID
        do {
            let (message, attachmentID) = try addAttachment(attachment, toMessage: session.messageImmutableID)
            return .complete(message: message, attachmentID: attachmentID)
        } catch {
            // The message was deleted while its attachment was uploading.
            throw .sessionNotFound
        }
    }

    /// `DELETE` on the upload URL: the session ends without an attachment.
    func cancelUpload(sessionID: String, token: String?) -> Bool {
        guard uploadSession(id: sessionID, token: token) != nil else { return false }
        userData.uploadSessions[sessionID] = nil
        return true
    }

    /// Ends every open upload session, as if their URLs had expired.
    public func expireUploadSessions() {
        userData.uploadSessions.removeAll()
    }

    /// How many upload sessions are open (for tests and the control surface).
    public var openUploadSessionCount: Int { userData.uploadSessions.count }
}

extension EmulatedMessage {
    /// Stores `attachments` with the message, keeping its body, unique body and preview as they
    /// were (a generated message becomes a stored one).
    mutating func replaceAttachments(_ attachments: [Attachment]) {
        switch content {
        case .stored(var stored):
            stored.attachments = attachments
            content = .stored(stored)
        case .generated:
            content = .stored(StoredContent(body: body, uniqueBody: uniqueBody, attachments: attachments, preview: bodyPreview))
        }
        hasAttachments = attachments.contains { !$0.isInline }
    }
}
