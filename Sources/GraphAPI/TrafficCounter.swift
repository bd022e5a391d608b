import Synchronization

/// Requests made and response bytes received, for progress bars and benchmarks.
public final class TrafficCounter: Sendable {
    private let requestCount = Atomic<Int>(0)
    private let byteCount = Atomic<Int>(0)

    public init() {}

    public var requests: Int { requestCount.load(ordering: .relaxed) }
    public var bytes: Int { byteCount.load(ordering: .relaxed) }

    func record(bytes: Int) {
        requestCount.add(1, ordering: .relaxed)
        byteCount.add(bytes, ordering: .relaxed)
    }
}
