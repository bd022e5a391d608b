import Foundation

/// Outlook's rules for one mailbox (GRAPH.md §10, QUALITY.md Reliability 4): at most four
/// requests in flight, and once the server says `Retry-After`, no request to that mailbox until
/// then — not only the one that was told.
actor RequestGate {
    private let limit: Int
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var pausedUntil: ContinuousClock.Instant?

    init(limit: Int = 4) {
        self.limit = limit
    }

    /// Waits for a free slot and for any mailbox-wide pause to end.
    func enter() async {
        while true {
            if let until = pausedUntil, until > .now {
                try? await Task.sleep(until: until, clock: .continuous)
                continue
            }
            if inFlight < limit {
                inFlight += 1
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    func leave() {
        inFlight -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Holds every request to the mailbox back for `seconds`.
    func pause(for seconds: TimeInterval) {
        let until = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }

    var currentlyInFlight: Int { inFlight }
}

/// When to try a failed request again: `Retry-After` when the server gives one, otherwise
/// exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter"), capped.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval

    public init(maxAttempts: Int = 6, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 60) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before attempt `attempt + 1` (attempt counts from 1), or nil to give up.
    func delay(after error: GraphError, attempt: Int, idempotent: Bool,
               random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        switch error {
        case .service(let status, _, _, _, let retryAfter) where status == 429 || status == 503 || status == 504:
            if let retryAfter { return min(retryAfter, maxDelay * 5) }
            return backoff(attempt, random: random)
        case .transport where idempotent, .invalidResponse where idempotent:
            // A dropped connection or a truncated body: safe to repeat a GET, never a send.
            return backoff(attempt, random: random)
        default:
            return nil
        }
    }

    private func backoff(_ attempt: Int, random: (ClosedRange<Double>) -> Double) -> TimeInterval {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return random(0...ceiling)
    }
}
