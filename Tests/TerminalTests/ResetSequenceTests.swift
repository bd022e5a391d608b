import Testing
@testable import Terminal

@Suite struct ResetSequenceTests {
    // The crash handler writes terminfo strings raw, so tputs delays must not reach the terminal.
    @Test func terminfoDelaysAreRemoved() {
        let bytes = Array("\u{1B}[?1049l$<5>\u{1B}[m$<2*/>x".utf8)
        #expect(TerminalScreen.withoutPadding(bytes) == Array("\u{1B}[?1049l\u{1B}[mx".utf8))
        #expect(TerminalScreen.withoutPadding(Array("cost $5".utf8)) == Array("cost $5".utf8))
    }
}
