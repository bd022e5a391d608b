/// A small, fully specified pseudo-random generator (SplitMix64).
///
/// The mailbox generator must produce byte-identical output for the same seed on every
/// machine and toolchain, so it never uses `SystemRandomNumberGenerator` nor the standard
/// library's `random(in:using:)` helpers (whose algorithms are not part of any stability
/// promise). Every draw below is defined here.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in `0..<bound` (multiply-shift; the bias is below 2^-32 for our bounds).
    mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let product = (next() >> 32) &* UInt64(bound)
        return Int(product >> 32)
    }

    /// Uniform integer in the closed range.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + int(below: range.upperBound - range.lowerBound + 1)
    }

    /// Uniform double in `[0, 1)` with 53 bits of precision.
    mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(below: items.count)]
    }

    /// Index drawn with the given relative weights.
    mutating func weightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var target = unit() * total
        for (index, weight) in weights.enumerated() {
            if target < weight { return index }
            target -= weight
        }
        return weights.count - 1
    }

    /// Fisher–Yates shuffle with this generator's draws.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = int(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }

    /// A draw between `low` and `high`, uniform in log space: delays and sizes have long tails
    /// (most replies come within hours, a few after days).
    mutating func logUniform(_ low: Double, _ high: Double) -> Double {
        low * exponential(unit() * naturalLog(high / low))
    }
}

/// Deterministic hashing used to derive sub-seeds and ids. FNV-1a over bytes, then a
/// SplitMix finaliser so that nearby inputs give unrelated outputs.
enum StableHash {
    static func mix(_ values: UInt64...) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values {
            var generator = SplitMix64(seed: hash ^ value)
            hash = generator.next()
        }
        return hash
    }

    static func string(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        var generator = SplitMix64(seed: hash)
        return generator.next()
    }
}

// Tiny math helpers so that the generator does not depend on the platform libm for values
// that end up in the mailbox (libm results may differ in the last bit across platforms).
func naturalLog(_ x: Double) -> Double {
    precondition(x > 0)
    // Reduce to m * 2^e with m in [1, 2), then ln(m) by the atanh series.
    var exponent = 0
    var m = x
    while m >= 2 { m /= 2; exponent += 1 }
    while m < 1 { m *= 2; exponent -= 1 }
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    for _ in 0..<30 {
        sum += term / k
        term *= y2
        k += 2
    }
    return 2 * sum + Double(exponent) * 0.693_147_180_559_945_3
}

func exponential(_ x: Double) -> Double {
    // e^x = 2^(x / ln 2): split into integer and fractional powers, Taylor for the fraction.
    let ln2 = 0.693_147_180_559_945_3
    let scaled = x / ln2
    let whole = scaled.rounded(.down)
    let r = (scaled - whole) * ln2
    var term = 1.0
    var sum = 1.0
    for n in 1..<25 {
        term *= r / Double(n)
        sum += term
    }
    var result = sum
    var remaining = Int(whole)
    while remaining > 0 { result *= 2; remaining -= 1 }
    while remaining < 0 { result /= 2; remaining += 1 }
    return result
}
