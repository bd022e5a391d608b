import Foundation

/// The state behind a `$skiptoken` or `$deltatoken`.
///
/// Graph encodes the options of the first delta request into the links it returns, so that
/// later requests need only the link. The emulator does the same: the token is base64url JSON
/// plus a keyed checksum, so a client must treat it as opaque, and a token that was altered
/// or minted by another emulator instance is refused with `410 SyncStateNotFound`.
struct DeltaToken: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        case messages = "m"
        case folders = "f"
    }

    var kind: Kind
    /// The folder whose messages are tracked (message delta only).
    var folderID: String?
    /// Changes after this sequence number are reported; nil during the initial round.
    var base: UInt64?
    /// The mailbox sequence number when the current round started; nil in a deltaLink.
    var round: UInt64?
    /// Initial message round: the last entry returned, in index order.
    var cursorReceived: Int64?
    var cursorSlot: Int?
    /// Incremental message round: the change-log sequence of the last item returned.
    var cursorSequence: UInt64?
    /// Folder rounds: how many folders were returned so far.
    var offset: Int?
    /// Options of the first request.
    var select: [String]?
    var receivedFrom: Int64?
    var receivedInclusive: Bool?
    var top: Int?
    var includeHidden: Bool?

    private enum CodingKeys: String, CodingKey {
        case kind = "k", folderID = "f", base = "b", round = "r", cursorReceived = "cr", cursorSlot = "cs"
        case cursorSequence = "cq", offset = "o", select = "s", receivedFrom = "rf", receivedInclusive = "ri"
        case top = "t", includeHidden = "h"
    }

    /// The state that starts the next round from this round's end.
    func nextRound(from sequence: UInt64) -> DeltaToken {
        var next = self
        next.base = sequence
        next.round = nil
        next.cursorReceived = nil
        next.cursorSlot = nil
        next.cursorSequence = nil
        next.offset = nil
        return next
    }
}

/// Signs and reads delta tokens. Its key can be replaced (`POST /_emulator/expire` with
/// `deltaTokens`), which turns every token handed out so far into an expired one.
final class DeltaTokenCodec: Sendable {
    private let currentKey: Locked<UInt64>

    init(key: UInt64) {
        currentKey = Locked(key)
    }

    var key: UInt64 { currentKey.withLock { $0 } }

    /// A new random key: tokens signed before are refused from now on.
    func rotate() {
        currentKey.withLock { key in
            var next = UInt64.random(in: .min ... .max)
            while next == key { next = UInt64.random(in: .min ... .max) }
            key = next
        }
    }

    func encode(_ token: DeltaToken) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a plain Codable struct cannot fail.
        let json = (try? encoder.encode(token)) ?? Data()
        let payload = json.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return payload + "." + checksum(payload)
    }

    func decode(_ text: String) -> DeltaToken? {
        guard let dot = text.lastIndex(of: ".") else { return nil }
        let payload = String(text[..<dot])
        guard String(text[text.index(after: dot)...]) == checksum(payload) else { return nil }
        var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONDecoder().decode(DeltaToken.self, from: data)
    }

    private func checksum(_ payload: String) -> String {
        String(StableHash.string(payload, seed: key), radix: 36)
    }
}
