import Foundation
import MailCore
import MailService

/// The message shown in the preview pane or the full-screen reader, sanitised for display.
public struct ReaderSnapshot: Hashable, Sendable {
    public enum State: Hashable, Sendable {
        case empty
        case loading
        case loaded
        case failed(String)
    }

    public var messageID: MessageID?
    public var subject: String
    public var from: String
    public var fromAddress: String
    public var to: [String]
    public var cc: [String]
    public var receivedAt: Date?
    public var body: String
    /// One line per attachment the user would call one (inline images are part of the body):
    /// name, then type and size.
    public var attachments: [String]
    public var state: State

    public init(messageID: MessageID? = nil, subject: String = "", from: String = "", fromAddress: String = "",
                to: [String] = [], cc: [String] = [], receivedAt: Date? = nil, body: String = "",
                attachments: [String] = [], state: State = .empty) {
        self.messageID = messageID
        self.subject = subject
        self.from = from
        self.fromAddress = fromAddress
        self.to = to
        self.cc = cc
        self.receivedAt = receivedAt
        self.body = body
        self.attachments = attachments
        self.state = state
    }
}

/// Loads the selected message's body. Headers show at once from the cached envelope; the body
/// comes from the cache or one request. While a fetch runs, newer selections replace each
/// other, so holding `j` down costs at most one request in flight, not one per row.
public actor ReaderModel {
    public nonisolated var snapshots: AsyncStream<ReaderSnapshot> { publisher.stream }
    private let publisher = SnapshotPublisher<ReaderSnapshot>()
    private let service: MailService
    private var current = ReaderSnapshot()
    private var wanted: (id: MessageID, upcoming: [MessageID])?
    private var isFetching = false

    public init(service: MailService) {
        self.service = service
    }

    public var snapshot: ReaderSnapshot { current }

    /// Shows a message; `upcoming` are the next ones in the list, fetched ahead. Returns at once:
    /// the header is published now, the body when it arrives.
    public func show(_ id: MessageID?, upcoming: [MessageID] = []) {
        guard let id else {
            wanted = nil
            current = ReaderSnapshot()
            publisher.publish(current)
            return
        }
        guard id != current.messageID || current.state != .loaded else { return }
        current = header(for: id)
        publisher.publish(current)
        wanted = (id, upcoming)
        guard !isFetching else { return }
        isFetching = true
        Task { await self.fetchWanted() }
    }

    private func fetchWanted() async {
        while let next = wanted {
            wanted = nil
            await load(next.id)
            Task { [service] in await service.prefetch(next.upcoming) }
        }
        isFetching = false
    }

    private func header(for id: MessageID) -> ReaderSnapshot {
        guard let summary = try? service.message(id) else {
            return ReaderSnapshot(messageID: id, state: .loading)
        }
        return ReaderSnapshot(messageID: id, subject: TextSanitizer.oneLine(summary.subject),
                              from: TextSanitizer.oneLine(summary.from?.name ?? ""),
                              fromAddress: TextSanitizer.oneLine(summary.from?.address ?? ""),
                              receivedAt: summary.receivedAt, state: .loading)
    }

    private func load(_ id: MessageID) async {
        let result: ReaderSnapshot
        do {
            let content = try await service.content(for: id)
            var snapshot = header(for: id)
            snapshot.to = content.toRecipients.map(Self.format)
            snapshot.cc = content.ccRecipients.map(Self.format)
            snapshot.body = TextSanitizer.multiline(content.plainText)
            snapshot.attachments = (content.attachments ?? []).filter { !$0.isInline }.map(Self.describe)
            snapshot.state = .loaded
            result = snapshot
        } catch {
            var snapshot = header(for: id)
            snapshot.state = .failed(TextSanitizer.oneLine("could not load the message: \(error)"))
            result = snapshot
        }
        // A newer selection arrived meanwhile: its header is already on screen, keep it.
        guard wanted == nil, current.messageID == id else { return }
        current = result
        publisher.publish(current)
    }

    /// `report.pdf (application/pdf, 1.2 MB)`; an attached message or a link says so instead of a type.
    static func describe(_ attachment: AttachmentInfo) -> String {
        let name = TextSanitizer.oneLine(attachment.name)
        let kind = switch attachment.kind {
        case .item: "attached item"
        case .reference: "link"
        case .file: TextSanitizer.oneLine(attachment.contentType ?? "file")
        }
        let size = attachment.kind == .reference ? "" : ", " + byteCount(attachment.size)
        return "\(name.isEmpty ? "(unnamed)" : name) (\(kind)\(size))"
    }

    static func byteCount(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return "\(Int((Double(bytes) / 1024).rounded())) KB" }
        return String(format: "%.1f MB", Double(bytes) / (1024 * 1024))
    }

    static func format(_ address: EmailAddress) -> String {
        let name = TextSanitizer.oneLine(address.name)
        let mail = TextSanitizer.oneLine(address.address)
        return name.isEmpty || name == mail ? mail : "\(name) <\(mail)>"
    }
}
