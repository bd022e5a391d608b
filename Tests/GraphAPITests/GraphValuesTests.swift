import Foundation
import GraphAPI
import Testing

@Suite struct GraphValuesTests {
    @Test func datesInEveryShapeGraphSends() throws {
        let reference = try #require(GraphDate.parse("2026-11-20T09:14:02Z"))
        #expect(GraphDate.format(reference) == "2026-11-20T09:14:02Z")
        #expect(GraphDate.parse("2026-11-20T09:14:02.1234567Z")!.timeIntervalSince(reference) > 0.123)
        #expect(GraphDate.parse("2026-11-20T09:14:02") == reference)            // no zone: UTC
        #expect(GraphDate.parse("2026-11-20T10:14:02+01:00") == reference)
        #expect(GraphDate.parse("2026-11-20") != nil)
        for bad in ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-20T25:00:00Z", "20261120"] {
            #expect(GraphDate.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func hostileFieldsNeverFailAMessage() throws {
        let json = """
        {"id":"A=","isRead":"true","hasAttachments":null,"subject":12,"receivedDateTime":"not a date",
         "importance":"urgent","from":{"emailAddress":null},"toRecipients":[{"emailAddress":{"address":"a@b"}},42],
         "categories":["Red",null,7],"flag":"weird","@odata.type":"#microsoft.graph.eventMessage"}
        """
        let message = try JSONDecoder().decode(GraphMessage.self, from: Data(json.utf8))
        #expect(message.id == "A=" && message.isRead == true && message.hasAttachments == nil)
        #expect(message.subject == "12.0" || message.subject == "12")
        #expect(message.receivedDateTime == nil)
        #expect(message.toRecipients?.count == 1)
        #expect(message.categories == ["Red", "7.0"] || message.categories == ["Red", "7"])
        #expect(message.flag == nil)
    }

    @Test func aBadElementDoesNotCostThePage() throws {
        let json = #"{"value":[{"id":"a"},"garbage",{"id":"b"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/next"}"#
        let page = try JSONDecoder().decode(GraphPage<GraphMessage>.self, from: Data(json.utf8))
        #expect(page.value.map(\.id) == ["a", "b"])
        #expect(page.nextLink != nil)
    }

    @Test func retryAfterSecondsAndHTTPDates() {
        #expect(RetryAfter.parse("2.128") == 2.128)
        #expect(RetryAfter.parse("10") == 10)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let later = RetryAfter.parse("Tue, 14 Nov 2023 22:13:40 GMT", now: now)
        #expect(later == 20)
        #expect(RetryAfter.parse("soon") == nil)
        // Hostile values: never a trap, never a wait without end.
        #expect(RetryAfter.parse("inf") == nil && RetryAfter.parse("nan") == nil && RetryAfter.parse("-3") == nil)
        #expect(RetryAfter.parse("1e30") == RetryAfter.longest)
        #expect(RetryAfter.parse("Fri, 01 Jan 2100 00:00:00 GMT", now: now) == RetryAfter.longest)
    }

    @Test func configurationRefusesPlainHTTPBeyondLoopback() throws {
        #expect(throws: GraphError.self) { try GraphConfiguration(baseURL: URL(string: "http://graph.example.com/v1.0")!) }
        _ = try GraphConfiguration(baseURL: URL(string: "http://127.0.0.1:8080/v1.0")!)
        _ = try GraphConfiguration(baseURL: URL(string: "https://graph.microsoft.com/v1.0/")!)
    }
}
