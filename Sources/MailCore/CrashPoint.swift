import Foundation
import Synchronization

/// Crash-safety testing in the style of mbsync's: with `OTTER_CRASH_AFTER=N` in the
/// environment, the process kills itself with SIGKILL at the N-th crash point, and the test
/// harness checks that a restart finishes the work with nothing lost or done twice. Crash
/// points sit right after every cache or outbox transaction commits and right after every
/// Graph response arrives. Without the variable a crash point costs one atomic load.
public enum CrashPoint {
    private static let limit: Int? = ProcessInfo.processInfo.environment["OTTER_CRASH_AFTER"].flatMap(Int.init)
    private static let reached = Atomic<Int>(0)

    public static func hit() {
        guard let limit else { return }
        let count = reached.add(1, ordering: .relaxed).newValue
        if count == limit { kill(getpid(), SIGKILL) }
    }
}
