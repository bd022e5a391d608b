/// Mints the opaque identifiers the emulator hands out.
///
/// Graph ids are URL-safe base64 of Exchange entry ids: long (a message id is about 152
/// characters), case-sensitive, ending in `=` padding, and with `-` and `_` inside. Minted
/// ids look the same so that a client meets realistic lengths and characters that need
/// percent-encoding in paths. Every id is a pure function of a 64-bit seed, which keeps
/// generated mailboxes deterministic.
enum GraphID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// A regular (default) REST id of a message: changes when the message moves.
    static func message(seed: UInt64) -> String {
        make(prefix: "AAMkAD", randomCount: 142, suffix: "AAA=", seed: seed)
    }

    /// The `Prefer: IdType="ImmutableId"` form of a message id (Graph's examples start
    /// with `AAkALgAA`); it never changes within the mailbox.
    static func immutableMessage(seed: UInt64) -> String {
        make(prefix: "AAkALgAA", randomCount: 140, suffix: "AAA=", seed: seed)
    }

    /// Well-known folders have `AQMk…` ids in Graph's samples, user folders `AAMk…`.
    static func folder(seed: UInt64, wellKnown: Bool) -> String {
        make(prefix: wellKnown ? "AQMkAD" : "AAMkAD", randomCount: 110, suffix: "AAAA", seed: seed)
    }

    static func conversation(seed: UInt64) -> String {
        make(prefix: "AAQkAD", randomCount: 58, suffix: "0=", seed: seed)
    }

    /// `changeKey` values look like `CQAAABYAAAC4ofQHEIqCSbQPot83AFcbAAAnjjuZ` (standard
    /// base64, so `/` and `+` occur, as in the `@odata.etag` of Graph's samples).
    static func changeKey(seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        var bytes = Array("CQAAABYAAA".utf8)
        bytes.reserveCapacity(40)
        for _ in 0..<30 { bytes.append(standardAlphabet[Int(generator.next() >> 58)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The user id Graph uses in `$metadata#users('…')`: a GUID.
    static func guid(seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        var value = generator.next()
        var used = 0
        for position in 0..<36 {
            if [8, 13, 18, 23].contains(position) {
                bytes.append(45)
                continue
            }
            if used == 16 {
                value = generator.next()
                used = 0
            }
            bytes.append(hex[Int(value & 0xF)])
            value >>= 4
            used += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Base64 of `count` deterministic bytes (for `conversationIndex` and attachment content).
    static func base64Bytes(count: Int, seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        var raw: [UInt8] = []
        raw.reserveCapacity(count)
        while raw.count < count {
            var value = generator.next()
            for _ in 0..<8 where raw.count < count {
                raw.append(UInt8(truncatingIfNeeded: value))
                value >>= 8
            }
        }
        return base64(raw)
    }

    static func base64(_ raw: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((raw.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < raw.count {
            let value = UInt32(raw[index]) << 16 | UInt32(raw[index + 1]) << 8 | UInt32(raw[index + 2])
            out.append(standardAlphabet[Int(value >> 18 & 63)])
            out.append(standardAlphabet[Int(value >> 12 & 63)])
            out.append(standardAlphabet[Int(value >> 6 & 63)])
            out.append(standardAlphabet[Int(value & 63)])
            index += 3
        }
        let rest = raw.count - index
        if rest == 1 {
            let value = UInt32(raw[index]) << 16
            out.append(standardAlphabet[Int(value >> 18 & 63)])
            out.append(standardAlphabet[Int(value >> 12 & 63)])
            out.append(61)
            out.append(61)
        } else if rest == 2 {
            let value = UInt32(raw[index]) << 16 | UInt32(raw[index + 1]) << 8
            out.append(standardAlphabet[Int(value >> 18 & 63)])
            out.append(standardAlphabet[Int(value >> 12 & 63)])
            out.append(standardAlphabet[Int(value >> 6 & 63)])
            out.append(61)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` could be an Exchange id at all. Graph answers `400
    /// ErrorInvalidIdMalformed` for strings that cannot be decoded (for example an id whose
    /// `/` was not percent-encoded), and `404 ErrorItemNotFound` for well-formed unknown ids.
    static func isPlausible(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, bytes.count <= 1024 else { return false }
        var padding = 0
        for byte in bytes {
            switch byte {
            case 61:  // "="
                padding += 1
            case 65...90, 97...122, 48...57, 43, 47, 45, 95:
                if padding > 0 { return false }
            default:
                return false
            }
        }
        return padding <= 2
    }

    private static func make(prefix: String, randomCount: Int, suffix: String, seed: UInt64) -> String {
        var generator = SplitMix64(seed: seed)
        var bytes = Array(prefix.utf8)
        bytes.reserveCapacity(prefix.utf8.count + randomCount + suffix.utf8.count)
        var value: UInt64 = 0
        var available = 0
        for _ in 0..<randomCount {
            if available < 6 {
                value = generator.next()
                available = 64
            }
            bytes.append(alphabet[Int(value & 63)])
            value >>= 6
            available -= 6
        }
        bytes.append(contentsOf: suffix.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }
}
