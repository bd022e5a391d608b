import Testing
import Terminal

@Suite struct KeyDecoderTests {
    /// Feeds one drain's worth of input and flushes, as the screen does.
    func decode(_ inputs: [RawInput]) -> [Key] {
        var decoder = KeyDecoder()
        return inputs.flatMap { decoder.feed($0) } + decoder.flush()
    }

    func chars(_ text: String) -> [RawInput] {
        text.unicodeScalars.map { .character($0.value) }
    }

    @Test func cursorKeysFromCursesCodes() {
        let codes = [CursesKeyCode.up, CursesKeyCode.down, CursesKeyCode.left, CursesKeyCode.right,
                     CursesKeyCode.pageUp, CursesKeyCode.pageDown, CursesKeyCode.home, CursesKeyCode.end,
                     CursesKeyCode.insert, CursesKeyCode.delete]
        #expect(decode(codes.map { .keyCode($0) }) == [.up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .insert, .delete])
        #expect(decode([.keyCode(CursesKeyCode.function(5)), .keyCode(CursesKeyCode.function(12))]) == [.function(5), .function(12)])
    }

    @Test func unknownCursesCodesAreIgnored() {
        #expect(decode([.keyCode(CursesKeyCode.mouse), .keyCode(0x300), .keyCode(CursesKeyCode.up)]) == [.up])
    }

    @Test func printableCharacters() {
        #expect(decode(chars("a Z~é中")) == [.character("a"), .character(" "), .character("Z"), .character("~"), .character("é"), .character("中")])
    }

    @Test func escapeThenPrintableIsAlt() {
        #expect(decode(chars("\u{1B}x")) == [.alt("x")])
        #expect(decode(chars("\u{1B}X\u{1B}1")) == [.alt("X"), .alt("1")])
    }

    @Test func loneEscapeArrivesAtFlush() {
        var decoder = KeyDecoder()
        #expect(decoder.feed(.character(0x1B)) == [])
        #expect(decoder.flush() == [.escape])
        #expect(decoder.flush() == [])
        // The next drain starts clean: "x" is just "x", not Alt-x.
        #expect(decoder.feed(.character(0x78)) == [.character("x")])
    }

    @Test func escapeBeforeAControlOrCursorKeyIsItsOwnKey() {
        #expect(decode(chars("\u{1B}\u{1B}")) == [.escape, .escape])
        #expect(decode(chars("\u{1B}\r")) == [.escape, .enter])
        #expect(decode([.character(0x1B), .keyCode(CursesKeyCode.up)]) == [.escape, .up])
    }

    @Test func carriageReturnLineFeedAndKeyEnterAreEnter() {
        #expect(decode([.character(0x0D), .character(0x0A), .keyCode(CursesKeyCode.enter)]) == [.enter, .enter, .enter])
    }

    @Test func controlLettersAreLowercase() {
        #expect(decode([.character(0x04)]) == [.control("d")])
        #expect(decode([.character(0x01), .character(0x1A), .character(0x00), .character(0x1F)])
            == [.control("a"), .control("z"), .control("@"), .control("_")])
    }

    @Test func tabBackTabAndBackspace() {
        #expect(decode([.character(0x09), .keyCode(CursesKeyCode.backTab)]) == [.tab, .backTab])
        #expect(decode([.character(0x7F), .character(0x08), .keyCode(CursesKeyCode.backspace)]) == [.backspace, .backspace, .backspace])
    }

    @Test func c1ControlsAreNotKeys() {
        #expect(decode([.character(0x9B), .character(0x85), .character(0x61)]) == [.character("a")])
    }

    @Test func bracketedPasteIsCollectedIntoOneKey() {
        let inputs: [RawInput] = [.keyCode(CursesKeyCode.pasteBegin)] + chars("line 1\r\nline 2\rtab\there\u{1B}\u{7}")
            + [.keyCode(CursesKeyCode.up)] + chars("中") + [.keyCode(CursesKeyCode.pasteEnd)] + chars("j")
        #expect(decode(inputs) == [.paste("line 1\nline 2\ntab\there中"), .character("j")])
    }

    @Test func pasteSpansSeveralDrains() {
        var decoder = KeyDecoder()
        #expect(decoder.feed(.keyCode(CursesKeyCode.pasteBegin)) == [])
        #expect(chars("abc").flatMap { decoder.feed($0) } == [])
        #expect(decoder.flush() == [])
        #expect(decoder.isPasting)
        #expect(chars("def").flatMap { decoder.feed($0) } == [])
        #expect(decoder.feed(.keyCode(CursesKeyCode.pasteEnd)) == [.paste("abcdef")])
        #expect(!decoder.isPasting)
    }

    @Test func pasteWithoutEndMarkerCanBeEnded() {
        var decoder = KeyDecoder()
        _ = decoder.feed(.keyCode(CursesKeyCode.pasteBegin))
        _ = chars("xy").flatMap { decoder.feed($0) }
        #expect(decoder.endPaste() == [.paste("xy")])
        #expect(decoder.feed(.character(0x71)) == [.character("q")])
    }

    @Test func csiSequencesTerminfoMissedAreDecodedOrDropped() {
        #expect(decode(chars("\u{1B}[A")) == [.up])
        #expect(decode(chars("\u{1B}[1;5C")) == [.right])
        #expect(decode(chars("\u{1B}[3~\u{1B}[6~")) == [.delete, .pageDown])
        #expect(decode(chars("\u{1B}[15~")) == [.function(5)])
        #expect(decode(chars("\u{1B}[?99zq")) == [.character("q")])  // unknown: dropped, not typed
        #expect(decode(chars("\u{1B}[")) == [.alt("[")])
    }
}
