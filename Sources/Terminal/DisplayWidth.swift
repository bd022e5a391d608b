import CNcursesw

/// Column widths as ncurses computes them: glibc `wcwidth`, summed per Unicode scalar, measured
/// per grapheme cluster. Using the same function as ncurses keeps our layout and its cursor model
/// in step (a private width table would disagree with what ncurses does with the text).
public enum DisplayWidth {
    /// Width of one grapheme as a `CellGrid` draws it: 0 for a grapheme made only of zero-width
    /// scalars (it is not drawn), 1 for a grapheme holding a control character or a scalar
    /// `wcwidth` rejects (it is drawn as U+FFFD), otherwise the sum of its scalars' widths.
    public static func of(_ c: Character) -> Int {
        UTF8Locale.ensureConfigured()
        var total = 0
        for scalar in c.unicodeScalars {
            let v = scalar.value
            if v >= 0x20 && v < 0x7F {  // printable ASCII, by far the most common case
                total += 1
                continue
            }
            if isControl(scalar) { return 1 }
            let w = Int(wcwidth(wchar_t(bitPattern: v)))
            if w < 0 { return 1 }
            total += w
        }
        return total
    }

    public static func of(_ s: String) -> Int {
        var total = 0
        for c in s { total += of(c) }
        return total
    }

    /// Cuts `s` to at most `width` columns, ending with `ellipsis` when something was cut.
    /// Never cuts inside a grapheme; a wide grapheme that does not fit is left out, so the result
    /// can be narrower than `width` (it is not padded). If even the ellipsis does not fit, the
    /// text is cut without it.
    public static func truncate(_ s: String, toWidth width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(s) <= width { return s }
        let ellipsisWidth = of(ellipsis)
        let room = ellipsisWidth <= width ? width - ellipsisWidth : width
        var result = ""
        var used = 0
        for c in s {
            let w = of(c)
            if used + w > room { break }
            result.append(c)
            used += w
        }
        return ellipsisWidth <= width ? result + ellipsis : result
    }

    /// Truncates (with the default ellipsis) and pads with spaces to exactly `width` columns.
    public static func pad(_ s: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        let cut = truncate(s, toWidth: width)
        let missing = width - of(cut)
        return missing > 0 ? cut + String(repeating: " ", count: missing) : cut
    }

    /// C0, DEL and C1: the characters a cell must never hold.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v < 0xA0)
    }

    /// `wcwidth` for one scalar, with controls and rejected scalars reported as -1.
    static func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
        UTF8Locale.ensureConfigured()
        let v = scalar.value
        if v >= 0x20 && v < 0x7F { return 1 }
        if isControl(scalar) { return -1 }
        return Int(wcwidth(wchar_t(bitPattern: v)))
    }
}

/// `wcwidth` and ncurses both depend on LC_CTYPE. This puts a UTF-8 LC_CTYPE in place once per
/// process, before the first measurement, so widths are right even in tests that never start
/// curses. Only LC_CTYPE is touched: number and date formatting stay in the "C" locale.
enum UTF8Locale {
    /// Nil when the user's locale is UTF-8; otherwise what was done about it.
    static var warning: String? { configured }

    static func ensureConfigured() { _ = configured }

    // A `static let` initialiser runs exactly once, thread-safely (swift_once).
    private static let configured: String? = {
        let requested = setlocale(LC_CTYPE, "").map { String(cString: $0) }
        if requested != nil && nc_ctype_is_utf8() != 0 { return nil }
        let name = requested ?? "(invalid)"
        if setlocale(LC_CTYPE, "C.UTF-8") != nil && nc_ctype_is_utf8() != 0 {
            return "Locale \(name) is not UTF-8; using C.UTF-8 for the display. Set LANG to a UTF-8 locale."
        }
        return "No UTF-8 locale is available (locale \(name)); non-ASCII text may show incorrectly."
    }()
}
