import Foundation
import GraphAPI
import Testing

/// Every documented Graph example body decodes, quirks included (GRAPH.md; graph-samples INDEX).
@Suite struct SampleDecodingTests {
    static let fixtures: URL = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: fixtures.appendingPathComponent(name))
    }

    static var names: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path))?.filter { $0.hasSuffix(".json") }.sorted() ?? []
    }

    @Test(arguments: names.filter {
        !$0.hasPrefix("error-") && !$0.hasPrefix("mailfolders") && $0 != "get-mailfolder.json" && !$0.contains("attachment")
    })
    func messageSamplesDecode(_ name: String) throws {
        let data = try Self.data(name)
        if let page = try? JSONDecoder().decode(GraphPage<GraphMessage>.self, from: data) {
            #expect(!page.value.isEmpty || page.deltaLink != nil || page.nextLink != nil, "\(name)")
        } else {
            // Some documented examples are placeholders without an id; decoding must still succeed
            // (the sync drops an item without an id rather than failing its page).
            let message = try JSONDecoder().decode(GraphMessage.self, from: data)
            #expect(message.id != nil || message.subject != nil, "\(name)")
        }
    }

    @Test(arguments: names.filter { $0.hasPrefix("mailfolders") })
    func folderPagesDecode(_ name: String) throws {
        let page = try JSONDecoder().decode(GraphPage<GraphMailFolder>.self, from: try Self.data(name))
        #expect(!page.value.isEmpty)
        #expect(page.value.allSatisfy { $0.displayName != nil })
    }

    @Test func stringBooleanInDeltaSampleIsRead() throws {
        let page = try JSONDecoder().decode(GraphPage<GraphMessage>.self, from: try Self.data("message-delta-page-with-removed.json"))
        #expect(page.value.count == 2)
        #expect(page.value[0].removed?.reason == "deleted")
        #expect(page.value[1].isRead == true)     // the doc sends "true" as a string
        #expect(page.value[1].sender?.emailAddress?.name == "Dana Swope")
        #expect(page.deltaLink != nil && page.nextLink == nil)
    }

    @Test func fullMessageSampleFields() throws {
        let message = try JSONDecoder().decode(GraphMessage.self, from: try Self.data("get-message.json"))
        #expect(message.receivedDateTime != nil)
        #expect(message.body?.contentType?.lowercased() == "html")
        #expect(message.flag?.flagStatus == "notFlagged")
    }

    @Test func mentionsPreviewFromBeta() throws {
        let page = try JSONDecoder().decode(GraphPage<GraphMessage>.self, from: try Self.data("beta-list-messages-mentioned.json"))
        #expect(page.value.contains { $0.mentionsPreview?.isMentioned == true })
    }

    @Test func attachmentSamplesDecode() throws {
        let list = try JSONDecoder().decode(GraphPage<GraphAttachment>.self, from: try Self.data("list-attachments.json"))
        #expect(list.value.count == 1)
        #expect(list.value[0].odataType == "microsoft.graph.fileAttachment")
        #expect(list.value[0].size == 99 && list.value[0].isInline == false && list.value[0].name == "name-value")
        for name in ["get-fileattachment.json", "get-itemattachment.json", "get-itemattachment-expanded.json"] {
            let attachment = try JSONDecoder().decode(GraphAttachment.self, from: try Self.data(name))
            #expect(attachment.id != nil && attachment.name != nil && attachment.size != nil, "\(name)")
        }
        let item = try JSONDecoder().decode(GraphAttachment.self, from: try Self.data("get-itemattachment.json"))
        #expect(item.odataType == "#microsoft.graph.itemAttachment")
        #expect(item.contentType == nil && item.size == 32005)
    }

    @Test(arguments: names.filter { $0.hasPrefix("error-") })
    func errorSamplesBecomeTypedErrors(_ name: String) throws {
        let error = GraphError.fromResponse(status: 400, body: try Self.data(name))
        guard case .service(_, let code, let message, _, _) = error else {
            Issue.record("\(name) was not decoded as a Graph error: \(error)")
            return
        }
        #expect(!code.isEmpty && !code.hasPrefix("HTTP"), "\(name)")
        #expect(!message.isEmpty, "\(name)")
    }

    @Test func syncStateNotFoundIsADeltaResetButA401IsNot() throws {
        let expired = GraphError.fromResponse(status: 410, body: try Self.data("error-syncstate-not-found.json"))
        #expect(expired.requiresDeltaReset)
        let unauthorized = GraphError.fromResponse(status: 401, body: try Self.data("error-invalid-authentication-token.json"))
        #expect(!unauthorized.requiresDeltaReset)
        #expect(unauthorized.code == "InvalidAuthenticationToken")
    }
}
