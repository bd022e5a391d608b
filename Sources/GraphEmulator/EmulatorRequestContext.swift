import Hummingbird

/// The request context of the emulator: Hummingbird's basic one plus whether the peer is on
/// this machine, which the `/_emulator` control surface requires.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerIsLoopback: Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerIsLoopback = Self.isLoopback(source.channel.remoteAddress?.ipAddress)
    }

    /// `127.0.0.0/8`, `::1` and IPv4-mapped loopback; an unknown peer is not loopback.
    static func isLoopback(_ address: String?) -> Bool {
        guard let address = address?.lowercased() else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
