import Foundation
import Testing
@testable import GraphAPI

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 4, baseDelay: 0.5, maxDelay: 8)
    func throttled(_ retryAfter: TimeInterval?) -> GraphError {
        .service(status: 429, code: "TooManyRequests", message: "", requestID: nil, retryAfter: retryAfter)
    }

    @Test func retryAfterIsObeyedAndBackoffGrowsWithJitter() {
        #expect(policy.delay(after: throttled(12), attempt: 1, idempotent: true) == 12)
        // Full jitter: a random delay between 0 and base·2^(attempt-1), capped at maxDelay.
        #expect(policy.delay(after: throttled(nil), attempt: 1, idempotent: true, random: { $0.upperBound }) == 0.5)
        #expect(policy.delay(after: throttled(nil), attempt: 3, idempotent: true, random: { $0.upperBound }) == 2)
        #expect(policy.delay(after: throttled(nil), attempt: 3, idempotent: true, random: { $0.lowerBound }) == 0)
        let capped = RetryPolicy(maxAttempts: 20, baseDelay: 0.5, maxDelay: 8)
        #expect(capped.delay(after: throttled(nil), attempt: 15, idempotent: true, random: { $0.upperBound }) == 8)
    }

    @Test func givesUpAfterTheLastAttempt() {
        #expect(policy.delay(after: throttled(1), attempt: 4, idempotent: true) == nil)
        #expect(RetryPolicy.none.delay(after: throttled(1), attempt: 1, idempotent: true) == nil)
    }

    @Test func onlyTransientFailuresAreRetriedAndSendsNeverBlindly() {
        let unavailable = GraphError.service(status: 503, code: "serviceNotAvailable", message: "", requestID: nil, retryAfter: nil)
        #expect(policy.delay(after: unavailable, attempt: 1, idempotent: false) != nil)
        #expect(policy.delay(after: .transport("reset"), attempt: 1, idempotent: true) != nil)
        #expect(policy.delay(after: .transport("reset"), attempt: 1, idempotent: false) == nil)
        let notFound = GraphError.service(status: 404, code: "ErrorItemNotFound", message: "", requestID: nil, retryAfter: nil)
        #expect(policy.delay(after: notFound, attempt: 1, idempotent: true) == nil)
        #expect(policy.delay(after: .untrustedLink("x"), attempt: 1, idempotent: true) == nil)
    }

    @Test func theGateAdmitsFourAtATime() async {
        let gate = RequestGate()
        for _ in 0..<4 { await gate.enter() }
        #expect(await gate.currentlyInFlight == 4)
        let fifth = Task { await gate.enter() }
        // The fifth waits until one leaves; after leave() it gets the freed slot.
        await gate.leave()
        await fifth.value
        #expect(await gate.currentlyInFlight == 4)
    }
}
