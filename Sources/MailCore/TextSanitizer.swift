/// The one sanitiser every untrusted string passes through before it reaches a sink:
/// a screen cell, the status line, stdout, a log line or a file name.
///
/// Mail fields and server messages can carry terminal escape sequences (CSI, OSC 52 clipboard
/// writes, title reports), bidi overrides that reorder what the user reads, and control
/// characters that move the cursor even inside ncurses. The rules come from QUALITY.md
/// (Security, rule 1): controls become visible control pictures, bidi controls and zero-width
/// tricks are dropped, stacked combining marks are capped.
public enum TextSanitizer {
    /// At most this many combining marks stay on one base character ("Zalgo" text).
    public static let maxCombiningMarks = 2

    /// For one-line fields (subject, names, addresses, folder names, error messages):
    /// every line break and tab becomes a single space, so the value can never span rows.
    public static func oneLine(_ text: String) -> String {
        sanitize(text, multiline: false)
    }

    /// For bodies: keeps `\n` (CRLF and lone CR become `\n`), expands tabs to the next
    /// multiple of 8 columns, and otherwise applies the one-line rules.
    public static func multiline(_ text: String) -> String {
        sanitize(text, multiline: true)
    }

    private static func sanitize(_ text: String, multiline: Bool) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.unicodeScalars.count)
        var column = 0               // scalar count since the last newline; good enough for tab stops
        var combiningRun = 0
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            defer { previousWasCR = (v == 0x0D) }
            switch v {
            case 0x0A where multiline:
                if previousWasCR { continue }   // CRLF already emitted as one newline
                out.append("\n"); column = 0; combiningRun = 0
                continue
            case 0x0D where multiline:
                out.append("\n"); column = 0; combiningRun = 0
                continue
            case 0x09 where multiline:
                let spaces = 8 - column % 8
                out.append(contentsOf: String(repeating: " ", count: spaces).unicodeScalars)
                column += spaces; combiningRun = 0
                continue
            case 0x09, 0x0A, 0x0D, 0x2028, 0x2029, 0x85:
                // Line-ish separators in a one-line field collapse to a space.
                if multiline && (v == 0x2028 || v == 0x2029 || v == 0x85) {
                    out.append("\n"); column = 0
                } else if out.last != " " {
                    out.append(" "); column += 1
                }
                combiningRun = 0
                continue
            case 0x00...0x1F:
                // C0 controls are shown as their control pictures (U+2400 block): visible, inert.
                out.append(Unicode.Scalar(0x2400 + v)!); column += 1; combiningRun = 0
                continue
            case 0x7F:
                out.append("\u{2421}"); column += 1; combiningRun = 0
                continue
            case 0x80...0x9F:
                // C1 controls (CSI U+009B, OSC U+009D …) have no picture; a replacement char shows something was there.
                out.append("\u{FFFD}"); column += 1; combiningRun = 0
                continue
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
                // Bidi embeddings, overrides, isolates and marks: dropped, they only reorder text.
                continue
            case 0x200B, 0x2060, 0xFEFF, 0x00AD:
                // Zero-width space, word joiner, BOM, soft hyphen: invisible, used to hide text.
                continue
            case 0x200D, 0xFE0F:
                // ZWJ and emoji presentation selector: terminals disagree with wcwidth about how
                // wide such sequences are (👨‍👩‍👧 is 6 columns to wcwidth, 2 to most terminals),
                // which shifts every column after them. Without them each emoji stands alone
                // at the width ncurses and the terminal both expect.
                continue
            case 0xFFF9...0xFFFB, 0xE0000...0xE007F:
                // Interlinear annotation controls and tag characters: invisible payload carriers.
                continue
            default:
                break
            }
            if scalar.properties.generalCategory == .nonspacingMark
                || scalar.properties.generalCategory == .enclosingMark {
                combiningRun += 1
                if combiningRun > maxCombiningMarks { continue }
            } else {
                combiningRun = 0
            }
            out.append(scalar)
            column += 1
        }
        return String(out)
    }
}
