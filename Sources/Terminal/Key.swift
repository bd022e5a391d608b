import CNcursesw

public enum Key: Hashable, Sendable {
    /// A printable character, space included.
    case character(Character)
    /// Ctrl plus a letter, as the lowercase letter (U+0001 is `.control("a")`). Tab, Enter,
    /// Backspace and Esc have their own cases. U+0000 (Ctrl-Space) is `.control("@")` and
    /// U+001C…U+001F are `.control("\\")`, `"]"`, `"^"`, `"_"`.
    case control(Character)
    case alt(Character)
    case up, down, left, right, pageUp, pageDown, home, end, insert, delete
    case backspace, enter, escape, tab, backTab
    case function(Int)
    /// Text the terminal delivered as a bracketed paste: no control characters except "\n" and "\t".
    case paste(String)
}

public enum TerminalEvent: Sendable {
    case key(Key)
    /// The terminal changed size (or must be repainted completely, e.g. after SIGCONT).
    case resize(width: Int, height: Int)
    /// SIGTERM, SIGHUP or SIGINT arrived, or the terminal went away (reported as SIGHUP).
    case terminate(signal: Int32)
}

/// What `wget_wch` returned.
public enum RawInput: Sendable, Hashable {
    /// `OK`: a character.
    case character(UInt32)
    /// `KEY_CODE_YES`: a curses key code (`KEY_UP`…), see `CursesKeyCode`.
    case keyCode(Int32)
}

/// The curses key codes `KeyDecoder` understands, so callers and tests need not import curses.
public enum CursesKeyCode {
    public static let up = Int32(KEY_UP)
    public static let down = Int32(KEY_DOWN)
    public static let left = Int32(KEY_LEFT)
    public static let right = Int32(KEY_RIGHT)
    public static let home = Int32(KEY_HOME)
    public static let end = Int32(KEY_END)
    public static let pageUp = Int32(KEY_PPAGE)
    public static let pageDown = Int32(KEY_NPAGE)
    public static let insert = Int32(KEY_IC)
    public static let delete = Int32(KEY_DC)
    public static let backspace = Int32(KEY_BACKSPACE)
    public static let enter = Int32(KEY_ENTER)
    public static let backTab = Int32(KEY_BTAB)
    public static let resize = Int32(KEY_RESIZE)
    public static let mouse = Int32(KEY_MOUSE)
    /// vt220-style terminals send Find/Select for the Home/End keys.
    public static let find = Int32(KEY_FIND)
    public static let select = Int32(KEY_SELECT)

    public static func function(_ n: Int) -> Int32 { Int32(KEY_F0) + Int32(n) }

    /// Private codes that `TerminalScreen` binds with `define_key` to the bracketed-paste markers
    /// ESC[200~ and ESC[201~. Above KEY_MAX and above the codes ncurses hands out for extended
    /// terminfo keys, and below 65536 because ncurses stores key codes in an unsigned short.
    public static let pasteBegin: Int32 = 0x7A00
    public static let pasteEnd: Int32 = 0x7A01
}

/// Turns `wget_wch` results into keys. Pure, so it is tested without a terminal.
///
/// The screen feeds everything one drain of the input queue produced, then calls `flush()`.
/// ESC followed by a printable character within the same drain is Alt+character; an ESC still
/// pending at the flush is the Esc key. A CSI sequence (ESC [ parameters final) that terminfo did
/// not describe is decoded when it is a common cursor or editing key and dropped otherwise, so an
/// unknown sequence never turns into a burst of typed characters.
public struct KeyDecoder: Sendable {
    private enum State: Sendable {
        case ground
        case escape
        /// Inside ESC [ …, with the parameter characters seen so far.
        case csi(String)
    }

    private var state = State.ground
    private var pasteBuffer: String?
    private var pasteEndedWithCR = false

    public init() {}

    /// True between the paste-begin and paste-end markers.
    public var isPasting: Bool { pasteBuffer != nil }

    public mutating func feed(_ input: RawInput) -> [Key] {
        if pasteBuffer != nil { return feedPaste(input) }
        switch input {
        case .keyCode(let code):
            var keys = abandonEscape()
            if code == CursesKeyCode.pasteBegin {
                pasteBuffer = ""
                pasteEndedWithCR = false
            } else if let key = Self.key(forCode: code) {
                keys.append(key)
            }
            return keys
        case .character(let value):
            return feedCharacter(value)
        }
    }

    /// Ends a drain: a pending lone ESC becomes `.escape`. A paste in progress continues (a long
    /// paste can span several reads); see `endPaste()`.
    public mutating func flush() -> [Key] {
        abandonEscape()
    }

    /// Delivers a paste whose end marker never came (the screen calls this after a quiet period).
    public mutating func endPaste() -> [Key] {
        guard let text = pasteBuffer else { return [] }
        pasteBuffer = nil
        return text.isEmpty ? [] : [.paste(text)]
    }

    // MARK: - Private

    private mutating func feedCharacter(_ value: UInt32) -> [Key] {
        switch state {
        case .ground:
            if value == 0x1B {
                state = .escape
                return []
            }
            return Self.key(forCharacter: value).map { [$0] } ?? []
        case .escape:
            if value == 0x1B {  // ESC ESC: the first one was the Esc key
                return [.escape]
            }
            if value == 0x5B {  // "["
                state = .csi("")
                return []
            }
            state = .ground
            if let scalar = Unicode.Scalar(value), !DisplayWidth.isControl(scalar) {
                return [.alt(Character(scalar))]
            }
            // ESC then a control key: two separate keys.
            return [.escape] + (Self.key(forCharacter: value).map { [$0] } ?? [])
        case .csi(let parameters):
            if (0x20...0x3F).contains(value) {
                state = .csi(parameters + String(UnicodeScalar(UInt8(value))))
                return []
            }
            state = .ground
            if (0x40...0x7E).contains(value) {
                // A complete sequence terminfo did not describe (the terminal ignored keypad mode,
                // or sent modifiers): decode the common ones, drop the rest rather than type them.
                return Self.key(csiParameters: parameters, final: UInt8(value)).map { [$0] } ?? []
            }
            // Not a CSI sequence after all: ESC [ was Alt-[ and the rest were typed keys.
            var keys: [Key] = [.alt("[")]
            keys += parameters.unicodeScalars.compactMap { Self.key(forCharacter: $0.value) }
            return keys + feedCharacter(value)
        }
    }

    /// Resolves a pending ESC (or unfinished ESC [ …) into the keys it stood for.
    private mutating func abandonEscape() -> [Key] {
        switch state {
        case .ground:
            return []
        case .escape:
            state = .ground
            return [.escape]
        case .csi(let parameters):
            state = .ground
            return [.alt("[")] + parameters.unicodeScalars.compactMap { Self.key(forCharacter: $0.value) }
        }
    }

    private mutating func feedPaste(_ input: RawInput) -> [Key] {
        switch input {
        case .keyCode(let code):
            // Other key codes are sequences ncurses recognised inside the pasted text: not text.
            return code == CursesKeyCode.pasteEnd ? endPaste() : []
        case .character(let value):
            // Terminals send line breaks in a paste as CR (or CRLF); keep them as "\n".
            let wasCR = pasteEndedWithCR
            pasteEndedWithCR = value == 0x0D
            switch value {
            case 0x0D:
                pasteBuffer?.append("\n")
            case 0x0A:
                if !wasCR { pasteBuffer?.append("\n") }
            case 0x09:
                pasteBuffer?.append("\t")
            default:
                if let scalar = Unicode.Scalar(value), !DisplayWidth.isControl(scalar) {
                    pasteBuffer?.unicodeScalars.append(scalar)
                }
            }
            return []
        }
    }

    static func key(forCharacter value: UInt32) -> Key? {
        switch value {
        case 0x0D, 0x0A: return .enter
        case 0x09: return .tab
        case 0x08, 0x7F: return .backspace
        case 0x1B: return .escape
        case 0x00: return .control("@")
        case 0x01...0x1A: return .control(Character(Unicode.Scalar(UInt8(0x60 + value))))
        case 0x1C...0x1F: return .control(Character(Unicode.Scalar(UInt8(0x40 + value))))
        default:
            guard let scalar = Unicode.Scalar(value), !DisplayWidth.isControl(scalar) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// xterm/VT220 cursor and editing keys (`ESC [ A`, `ESC [ 1 ; 5 C`, `ESC [ 3 ~`…), modifiers ignored.
    static func key(csiParameters parameters: String, final: UInt8) -> Key? {
        let first = Int(parameters.split(separator: ";").first ?? "") ?? 1
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "Z"): return .backTab
        case UInt8(ascii: "P")...UInt8(ascii: "S"): return .function(Int(final - UInt8(ascii: "P")) + 1)
        case UInt8(ascii: "~"):
            switch first {
            case 1, 7: return .home
            case 4, 8: return .end
            case 2: return .insert
            case 3: return .delete
            case 5: return .pageUp
            case 6: return .pageDown
            case 11...15: return .function(first - 10)
            case 17...21: return .function(first - 11)
            case 23...26: return .function(first - 12)
            default: return nil
            }
        default: return nil
        }
    }

    static func key(forCode code: Int32) -> Key? {
        switch code {
        case CursesKeyCode.up: return .up
        case CursesKeyCode.down: return .down
        case CursesKeyCode.left: return .left
        case CursesKeyCode.right: return .right
        case CursesKeyCode.home, CursesKeyCode.find: return .home
        case CursesKeyCode.end, CursesKeyCode.select: return .end
        case CursesKeyCode.pageUp: return .pageUp
        case CursesKeyCode.pageDown: return .pageDown
        case CursesKeyCode.insert: return .insert
        case CursesKeyCode.delete: return .delete
        case CursesKeyCode.backspace: return .backspace
        case CursesKeyCode.enter: return .enter
        case CursesKeyCode.backTab: return .backTab
        case CursesKeyCode.function(0)...CursesKeyCode.function(63): return .function(Int(code - CursesKeyCode.function(0)))
        default: return nil
        }
    }
}
