/// Message slots of one folder (or of the whole mailbox) kept in Graph's default order:
/// `receivedDateTime` descending, then by slot so that equal times have a stable order.
///
/// Paging and delta rounds find their position by binary search, so serving a page costs
/// O(log n + page size) even in a 100,000-message folder. Inserting or removing shifts the
/// array (a memmove), which is cheap next to an HTTP request.
struct MessageIndex: Sendable {
    struct Entry: Sendable, Equatable {
        var received: Int64
        var slot: Int
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    init(_ entries: [Entry] = []) {
        self.entries = entries.sorted(by: Self.precedes)
    }

    static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.received != b.received ? a.received > b.received : a.slot < b.slot
    }

    /// The first position whose entry does not precede `entry`.
    func insertionPoint(_ entry: Entry) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(entries[middle], entry) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    /// The position just after `entry` (which may no longer be present), for cursors.
    func position(after entry: Entry) -> Int {
        let point = insertionPoint(entry)
        if point < entries.count, entries[point] == entry { return point + 1 }
        return point
    }

    mutating func insert(_ entry: Entry) {
        entries.insert(entry, at: insertionPoint(entry))
    }

    mutating func remove(_ entry: Entry) {
        let point = insertionPoint(entry)
        if point < entries.count, entries[point] == entry {
            entries.remove(at: point)
        }
    }
}
