import Testing
@testable import Terminal

@Suite struct DisplayWidthTests {
    @Test func asciiIsOneColumnPerCharacter() {
        #expect(DisplayWidth.of("abc XYZ 123") == 11)
        #expect(DisplayWidth.of("") == 0)
    }

    @Test func cjkIsTwoColumns() {
        // These tests never start curses: DisplayWidth must set up a UTF-8 LC_CTYPE on its own.
        #expect(DisplayWidth.of(Character("中")) == 2)
        #expect(DisplayWidth.of("中文") == 4)
        #expect(DisplayWidth.of("a中b") == 4)
    }

    @Test func combiningMarkAddsNoWidth() {
        let composed = "e\u{301}"
        #expect(composed.count == 1)
        #expect(DisplayWidth.of(composed) == 1)
        #expect(DisplayWidth.of(Character("\u{301}")) == 0)
    }

    @Test func emojiIsTwoColumns() {
        #expect(DisplayWidth.of("😀") == 2)
    }

    @Test func controlCharactersCountAsTheReplacementCharacter() {
        for control in ["\u{1B}", "\u{7}", "\u{0}", "\u{7F}", "\u{9B}", "\r\n"] {
            #expect(DisplayWidth.of(control) == 1, "\(control.unicodeScalars.map(\.value))")
        }
    }

    @Test func shortTextIsNotTruncated() {
        #expect(DisplayWidth.truncate("hello", toWidth: 5) == "hello")
        #expect(DisplayWidth.truncate("中文", toWidth: 4) == "中文")
    }

    @Test func truncationEndsWithEllipsisWithinWidth() {
        #expect(DisplayWidth.truncate("hello world", toWidth: 8) == "hello w…")
        #expect(DisplayWidth.truncate("中文字", toWidth: 5) == "中文…")
        // A wide character that does not fit before the ellipsis is dropped, not split.
        #expect(DisplayWidth.truncate("中文字", toWidth: 4) == "中…")
        #expect(DisplayWidth.truncate("abc", toWidth: 0) == "")
    }

    @Test func ellipsisWiderThanTheSpaceIsLeftOut() {
        #expect(DisplayWidth.truncate("abcdef", toWidth: 2, ellipsis: "...") == "ab")
        #expect(DisplayWidth.truncate("中文", toWidth: 1, ellipsis: "...") == "")
    }

    @Test(arguments: [
        "hello world", "中文字符测试", "e\u{301}e\u{301}e\u{301}e\u{301}", "a😀b😀c", "👨‍👩‍👧 family", "🇫🇷🇩🇪🇮🇹",
        "x\u{1B}[31my", "mixed 中 e\u{301} 😀 text",
    ])
    func truncationNeverSplitsAGraphemeNorExceedsTheWidth(_ text: String) {
        for width in 0...(DisplayWidth.of(text) + 1) {
            let cut = DisplayWidth.truncate(text, toWidth: width)
            #expect(DisplayWidth.of(cut) <= width, "width \(width): \(cut)")
            let kept = cut.hasSuffix("…") && !text.hasSuffix("…") ? String(cut.dropLast()) : cut
            // Whole graphemes only: what is kept is a prefix of the original, grapheme by grapheme.
            #expect(Array(text).starts(with: Array(kept)), "width \(width): \(cut)")
        }
    }

    @Test(arguments: ["", "ab", "中文字", "e\u{301}x", "hello world, this is long", "😀😀😀"])
    func paddingGivesExactWidth(_ text: String) {
        for width in 0...12 {
            let padded = DisplayWidth.pad(text, toWidth: width)
            #expect(DisplayWidth.of(padded) == width, "\(text) to \(width): '\(padded)'")
        }
        #expect(DisplayWidth.pad("ab", toWidth: 5) == "ab   ")
        #expect(DisplayWidth.pad("中文字", toWidth: 5) == "中文…")
        #expect(DisplayWidth.pad("中文字", toWidth: 4) == "中… ")
    }
}
