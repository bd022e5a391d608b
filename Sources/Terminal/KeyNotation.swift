public struct KeyNotationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The key notation of keymaps.conf, in the aerc/vim style: plain characters stand for
/// themselves ("gg" is g then g) and names in angle brackets for the rest ("<C-d>", "<Enter>",
/// "<M-x>", "<lt>" for "<"). Names and modifiers are case-insensitive.
public enum KeyNotation {
    public static func parse(_ s: String) throws -> [Key] {
        guard !s.isEmpty else { throw KeyNotationError("empty key sequence") }
        var keys: [Key] = []
        var index = s.startIndex
        while index < s.endIndex {
            let c = s[index]
            if c == "<" {
                guard let close = s[index...].firstIndex(of: ">"), s.index(after: index) < close else {
                    throw KeyNotationError("unterminated '<' in \"\(s)\" (write <lt> for a literal '<')")
                }
                keys.append(try parseName(String(s[s.index(after: index)..<close]), in: s))
                index = s.index(after: close)
                continue
            }
            if c.unicodeScalars.contains(where: DisplayWidth.isControl) {
                throw KeyNotationError("control character in \"\(s.debugDescription)\"; use a name such as <C-a> or <Tab>")
            }
            keys.append(.character(c))
            index = s.index(after: index)
        }
        return keys
    }

    public static func format(_ keys: [Key]) -> String {
        keys.map(format).joined()
    }

    public static func format(_ key: Key) -> String {
        switch key {
        case .character(let c):
            switch c {
            case "<": return "<lt>"
            case " ": return "<Space>"
            default: return String(c)
            }
        case .control(let c): return "<C-\(c == "@" ? "Space" : String(c))>"
        case .alt(let c): return "<M-\(baseName(c))>"
        case .up: return "<Up>"
        case .down: return "<Down>"
        case .left: return "<Left>"
        case .right: return "<Right>"
        case .pageUp: return "<PgUp>"
        case .pageDown: return "<PgDn>"
        case .home: return "<Home>"
        case .end: return "<End>"
        case .insert: return "<Insert>"
        case .delete: return "<Del>"
        case .backspace: return "<BS>"
        case .enter: return "<Enter>"
        case .escape: return "<Esc>"
        case .tab: return "<Tab>"
        case .backTab: return "<S-Tab>"
        case .function(let n): return "<F\(n)>"
        case .paste: return "<Paste>"
        }
    }

    // MARK: - Private

    private static let namedKeys: [String: Key] = [
        "enter": .enter, "cr": .enter, "return": .enter,
        "esc": .escape, "escape": .escape,
        "tab": .tab, "backtab": .backTab,
        "bs": .backspace, "backspace": .backspace,
        "del": .delete, "delete": .delete,
        "ins": .insert, "insert": .insert,
        "up": .up, "down": .down, "left": .left, "right": .right,
        "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown, "pagedown": .pageDown,
        "home": .home, "end": .end,
        "space": .character(" "), "lt": .character("<"), "gt": .character(">"),
        "bar": .character("|"), "bslash": .character("\\"),
        // keymaps.conf starts comments with # and ;, so a binding for those keys names them.
        "hash": .character("#"), "semicolon": .character(";"),
    ]

    private static func baseName(_ c: Character) -> String {
        switch c {
        case "<": return "lt"
        case ">": return "gt"
        case " ": return "Space"
        default: return String(c)
        }
    }

    /// `name` is what stood between < and >.
    private static func parseName(_ name: String, in whole: String) throws -> Key {
        var rest = Substring(name)
        var modifier: Character?
        // A modifier is one letter and a dash, followed by at least one more character ("<C-->" is Ctrl and "-").
        if rest.count > 2, rest.dropFirst().first == "-", let m = rest.first?.uppercased().first, "CMAS".contains(m) {
            modifier = m == "A" ? "M" : m
            rest = rest.dropFirst(2)
            if rest.count > 2, rest.dropFirst().first == "-", let m2 = rest.first?.uppercased().first, "CMAS".contains(m2) {
                throw KeyNotationError("<\(name)> in \"\(whole)\": only one modifier is supported")
            }
        }
        let base = String(rest)
        let named = namedKeys[base.lowercased()]
        let single: Character? = base.count == 1 ? base.first : nil
        if let f = functionNumber(base) {
            guard modifier == nil else { throw KeyNotationError("<\(name)> in \"\(whole)\": modifiers on function keys are not supported") }
            return .function(f)
        }

        switch modifier {
        case nil:
            if let named { return named }
            if let single, !single.unicodeScalars.contains(where: DisplayWidth.isControl) { return .character(single) }
        case "C":
            if base.lowercased() == "space" || single == "@" { return .control("@") }
            if let single, let ascii = single.asciiValue {
                let lower = Character(Unicode.Scalar(ascii | (single.isLetter ? 0x20 : 0)))
                // What the terminal sends for these is another key; bind to that key.
                switch lower {
                case "h": return .backspace
                case "i": return .tab
                case "j", "m": return .enter
                case "[": return .escape
                case "a"..."z", "\\", "]", "^", "_": return .control(lower)
                default: break
                }
            }
            throw KeyNotationError("<\(name)> in \"\(whole)\": Ctrl works with a letter, Space, @, [, \\, ], ^ or _")
        case "M":
            if let named, case .character(let c) = named { return .alt(c) }
            if let single, !single.unicodeScalars.contains(where: DisplayWidth.isControl) { return .alt(single) }
            throw KeyNotationError("<\(name)> in \"\(whole)\": Alt works with a single character")
        case "S":
            if named == .tab { return .backTab }
            if let single, single.isLetter, let upper = single.uppercased().first { return .character(upper) }
            throw KeyNotationError("<\(name)> in \"\(whole)\": Shift works with Tab or a letter")
        default:
            break
        }
        throw KeyNotationError("unknown key <\(name)> in \"\(whole)\"")
    }

    private static func functionNumber(_ base: String) -> Int? {
        guard base.count >= 2, base.first == "F" || base.first == "f", let n = Int(base.dropFirst()), (1...63).contains(n) else {
            return nil
        }
        return n
    }
}
