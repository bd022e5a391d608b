import Foundation

/// A request budget: at most `requests` in any `window`.
public struct RequestBudget: Sendable, Equatable {
    public var requests: Int
    public var window: Duration

    public init(requests: Int, window: Duration) {
        self.requests = requests
        self.window = window
    }

    /// Outlook's limit per app and mailbox: "10,000 API requests in a 10-minute period" (GRAPH.md §10.1).
    public static let outlook = RequestBudget(requests: 10_000, window: .seconds(600))
}

/// Outlook's throttling of one app on one mailbox (GRAPH.md §10.1). The emulator serves one
/// mailbox to one app, so the limits are the server's.
public struct ThrottlingConfiguration: Sendable, Equatable {
    /// "Four concurrent requests"; nil: no limit.
    public var maxConcurrentRequests: Int?
    /// nil: no limit.
    public var budget: RequestBudget?

    public init(maxConcurrentRequests: Int? = 4, budget: RequestBudget? = .outlook) {
        self.maxConcurrentRequests = maxConcurrentRequests
        self.budget = budget
    }

    /// No throttling at all.
    public static let unlimited = ThrottlingConfiguration(maxConcurrentRequests: nil, budget: nil)
}

/// Counts requests in flight and requests in the budget window.
final class MailboxThrottle: Sendable {
    enum Decision: Equatable {
        case admitted
        case overConcurrency
        /// Seconds until the oldest request in the window leaves it.
        case overBudget(retryAfter: Int)
    }

    struct Snapshot: Sendable {
        var limits: ThrottlingConfiguration
        var inFlight: Int
        var inWindow: Int
    }

    private struct State: Sendable {
        var limits: ThrottlingConfiguration
        var inFlight = 0
        /// Admission instants inside the window, oldest first, from `head` on.
        var admitted: [ContinuousClock.Instant] = []
        var head = 0

        mutating func prune(now: ContinuousClock.Instant) {
            guard let window = limits.budget?.window else {
                admitted.removeAll()
                head = 0
                return
            }
            while head < admitted.count, now - admitted[head] >= window { head += 1 }
            if head > 1024, head * 2 > admitted.count {
                admitted.removeFirst(head)
                head = 0
            }
        }

        var inWindow: Int { admitted.count - head }
    }

    private let state: Locked<State>

    init(_ limits: ThrottlingConfiguration) {
        state = Locked(State(limits: limits))
    }

    /// Takes a slot, or says why not. Rejected requests do not count against the budget, so a
    /// client that waits for `Retry-After` is admitted again.
    func acquire() -> Decision {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.prune(now: now)
            if let limit = state.limits.maxConcurrentRequests, state.inFlight >= limit { return .overConcurrency }
            if let budget = state.limits.budget, state.inWindow >= budget.requests {
                guard state.inWindow > 0 else { return .overBudget(retryAfter: Int(budget.window.seconds.rounded(.up))) }
                let wait = budget.window - (now - state.admitted[state.head])
                return .overBudget(retryAfter: max(1, Int(wait.seconds.rounded(.up))))
            }
            state.inFlight += 1
            if state.limits.budget != nil { state.admitted.append(now) }
            return .admitted
        }
    }

    func release() {
        state.withLock { $0.inFlight = max(0, $0.inFlight - 1) }
    }

    func snapshot() -> Snapshot {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.prune(now: now)
            return Snapshot(limits: state.limits, inFlight: state.inFlight, inWindow: state.inWindow)
        }
    }

    /// New limits; requests already in the window keep counting unless `clearWindow`.
    func update(_ limits: ThrottlingConfiguration, clearWindow: Bool) {
        state.withLock { state in
            state.limits = limits
            if clearWindow {
                state.admitted.removeAll()
                state.head = 0
            }
        }
    }
}
