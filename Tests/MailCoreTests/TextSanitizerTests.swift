import MailCore
import Testing

@Suite struct TextSanitizerTests {
    @Test func escapeSequencesBecomeVisibleAndInert() {
        let hostile = "Invoice\u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{1B}[2J paid"
        let clean = TextSanitizer.oneLine(hostile)
        #expect(!clean.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(clean.hasPrefix("Invoice\u{241B}]52;c;"))
        #expect(clean.hasSuffix(" paid"))
    }

    @Test func c1ControlsAndDELAreNeutralised() {
        let clean = TextSanitizer.oneLine("a\u{9B}31mb\u{9D}0;title\u{9C}c\u{7F}d")
        #expect(!clean.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0x7F })
        #expect(clean == "a\u{FFFD}31mb\u{FFFD}0;title\u{FFFD}c\u{2421}d")
    }

    @Test func bidiOverridesAndZeroWidthCharactersAreDropped() {
        // "exe.pdf" spoofed as "fdp.exe" with RIGHT-TO-LEFT OVERRIDE; zero-width space hides a word.
        let clean = TextSanitizer.oneLine("report\u{202E}fdp.exe\u{202C} pay\u{200B}pal \u{2066}x\u{2069}")
        #expect(clean == "reportfdp.exe paypal x")
    }

    @Test func oneLineFieldsNeverSpanRows() {
        let clean = TextSanitizer.oneLine("Re: meeting\r\nBcc: everyone\u{2028}more\tend")
        #expect(!clean.contains("\n") && !clean.contains("\r") && !clean.contains("\t"))
        #expect(clean == "Re: meeting Bcc: everyone more end")
    }

    @Test func multilineKeepsLinesExpandsTabsAndNormalisesLineEnds() {
        let clean = TextSanitizer.multiline("a\tb\r\nline2\rline3\n\u{1B}[31mred")
        #expect(clean == "a       b\nline2\nline3\n\u{241B}[31mred")
    }

    @Test func stackedCombiningMarksAreCapped() {
        let zalgo = "e" + String(repeating: "\u{0301}", count: 40) + "x"
        let clean = TextSanitizer.oneLine(zalgo)
        #expect(clean.unicodeScalars.count == 1 + TextSanitizer.maxCombiningMarks + 1)
        // Ordinary accents and scripts are untouched.
        let normal = "Café – 東京 🚀 Привет e\u{0301}"
        #expect(TextSanitizer.oneLine(normal) == normal)
    }

    @Test func emojiSequencesWhoseWidthTerminalsDisputeAreSplit() {
        #expect(TextSanitizer.oneLine("family 👨\u{200D}👩\u{200D}👧 love ❤\u{FE0F}") == "family 👨👩👧 love ❤")
    }

    @Test func hugeInputIsHandledLinearly() {
        let big = String(repeating: "x", count: 1_000_000)
        #expect(TextSanitizer.multiline(big).count == 1_000_000)
    }
}
