import Foundation
import GraphAPI
import GraphEmulator
import MailCache
import MailCore
import MailService
import Testing

/// Attachment metadata arrives with the body (issue 4): names, types and sizes, never content.
@Suite struct AttachmentListTests {
    typealias Fixture = SyncTests.Fixture

    /// A synced mailbox and one message of it with (or without) attachments.
    static func start(withAttachments: Bool) async throws -> (Fixture, EmulatedMessage) {
        let f = try await Fixture.start(messages: 300, seed: 5)
        try await f.service.syncAll()
        let snapshot = await f.mailbox.snapshot()
        let visible = Set(snapshot.folders.filter { !$0.isHidden }.map(\.id))
        let message = try #require(snapshot.messages.first {
            visible.contains($0.parentFolderID) && $0.attachments.isEmpty != withAttachments
        })
        return (f, message)
    }

    @Test func theListComesWithTheBodyInOneRoundTripAndIsCached() async throws {
        let (f, message) = try await Self.start(withAttachments: true)
        defer { Task { await f.server.stop() } }
        let id = MessageID(message.immutableID)

        let before = f.graph.traffic.requests
        let content = try await f.service.content(for: id)
        #expect(f.graph.traffic.requests - before == 2)   // the body and the list, side by side

        let listed = try #require(content.attachments)
        #expect(listed.map(\.name) == message.attachments.map(\.name))
        #expect(listed.map(\.size) == message.attachments.map(\.size))
        #expect(listed.map(\.isInline) == message.attachments.map(\.isInline))
        for (info, served) in zip(listed, message.attachments) {
            switch served.kind {
            case .file:
                #expect(info.kind == .file)
                #expect(info.contentType == served.contentType)
            case .item: #expect(info.kind == .item)
            case .reference: #expect(info.kind == .reference)
            }
            // Attachment ids extend the (immutable) message id, as Graph's do.
            #expect(info.id.hasPrefix(String(message.immutableID.prefix(20))))
        }

        let again = f.graph.traffic.requests
        #expect(try await f.service.content(for: id) == content)
        #expect(f.graph.traffic.requests == again)         // from the cache
        #expect(try f.cache.content(for: id)?.attachments == listed)
    }

    @Test func aMessageWithoutAttachmentsHasAnEmptyListNotAMissingOne() async throws {
        let (f, message) = try await Self.start(withAttachments: false)
        defer { Task { await f.server.stop() } }
        let content = try await f.service.content(for: MessageID(message.immutableID))
        #expect(content.attachments == [])
    }

    @Test func aBodyCachedBeforeAttachmentListsFetchesOnlyTheList() async throws {
        let (f, message) = try await Self.start(withAttachments: true)
        defer { Task { await f.server.stop() } }
        let id = MessageID(message.immutableID)
        // As an older Otter left it: body and recipients, no attachment list.
        let old = MessageContent(messageID: id, format: .text, body: "the body as cached earlier", attachments: nil)
        try f.cache.storeContent(old)

        let before = f.graph.traffic.requests
        let content = try await f.service.content(for: id)
        #expect(f.graph.traffic.requests - before == 1)
        #expect(content.body == "the body as cached earlier")
        #expect(content.attachments?.map(\.name) == message.attachments.map(\.name))
    }
}
