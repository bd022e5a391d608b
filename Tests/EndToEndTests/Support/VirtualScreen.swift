import Glibc

// An in-memory VT/xterm emulator: enough of xterm to render what ncurses emits under
// TERM=xterm-256color (including its scrolling optimisations, `rep`, background colour erase
// and the DEC line-drawing set), so end-to-end tests can assert on screen contents without tmux
// or Python. Rows and columns are 0-based everywhere in this API.

/// A colour as the terminal received it: a palette index (0–255; SGR 30–37/90–97 map to 0–15)
/// or a direct RGB colour.
public enum TerminalColor: Hashable, Sendable, CustomStringConvertible {
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    public var description: String {
        switch self {
        case .indexed(let index): "\(index)"
        case .rgb(let r, let g, let b): "#" + [r, g, b].map { hexByte($0) }.joined()
        }
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

/// The graphic rendition of one cell. `nil` colours are the terminal's defaults.
public struct CellAttributes: Hashable, Sendable, CustomStringConvertible {
    public var bold = false
    public var dim = false
    public var italic = false
    public var underline = false
    public var blink = false
    public var reverse = false
    public var invisible = false
    public var strikethrough = false
    public var foreground: TerminalColor?
    public var background: TerminalColor?

    public init(
        bold: Bool = false, dim: Bool = false, italic: Bool = false, underline: Bool = false,
        blink: Bool = false, reverse: Bool = false, invisible: Bool = false, strikethrough: Bool = false,
        foreground: TerminalColor? = nil, background: TerminalColor? = nil
    ) {
        self.bold = bold
        self.dim = dim
        self.italic = italic
        self.underline = underline
        self.blink = blink
        self.reverse = reverse
        self.invisible = invisible
        self.strikethrough = strikethrough
        self.foreground = foreground
        self.background = background
    }

    public static let plain = CellAttributes()

    public var description: String {
        var parts: [String] = []
        if bold { parts.append("bold") }
        if dim { parts.append("dim") }
        if italic { parts.append("italic") }
        if underline { parts.append("underline") }
        if blink { parts.append("blink") }
        if reverse { parts.append("reverse") }
        if invisible { parts.append("invisible") }
        if strikethrough { parts.append("strikethrough") }
        if let foreground { parts.append("fg=\(foreground)") }
        if let background { parts.append("bg=\(background)") }
        return parts.isEmpty ? "plain" : parts.joined(separator: " ")
    }
}

/// One character cell. A wide (2-column) character occupies a lead cell with `width == 2`
/// followed by a continuation cell with `width == 0` and empty `text`.
public struct ScreenCell: Hashable, Sendable {
    /// One grapheme (base character plus any combining marks); `" "` when blank.
    public var text: String
    public var attributes: CellAttributes
    /// 1 for a normal cell, 2 for the lead cell of a wide character, 0 for its continuation.
    public var width: Int

    public init(text: String = " ", attributes: CellAttributes = .plain, width: Int = 1) {
        self.text = text
        self.attributes = attributes
        self.width = width
    }

    public var isWideContinuation: Bool { width == 0 }
    public var isBlank: Bool { text == " " }
}

/// A 0-based screen position.
public struct ScreenPosition: Hashable, Sendable, CustomStringConvertible {
    public var row: Int
    public var col: Int

    public init(row: Int, col: Int) {
        self.row = row
        self.col = col
    }

    public var description: String { "(row \(row), col \(col))" }
}

/// Terminal modes an application switches, as far as tests care about them.
public struct TerminalModes: Hashable, Sendable {
    /// DECCKM (`CSI ? 1 h`): arrows and Home/End send `ESC O x` instead of `ESC [ x`.
    public var applicationCursorKeys = false
    /// DECKPAM (`ESC =`).
    public var applicationKeypad = false
    /// `CSI ? 2004 h`.
    public var bracketedPaste = false
    /// DECTCEM (`CSI ? 25 h/l`).
    public var cursorVisible = true
    /// DECAWM (`CSI ? 7 h/l`).
    public var autowrap = true
    /// DECOM (`CSI ? 6 h/l`): cursor addressing relative to the scrolling region.
    public var originMode = false
    /// IRM (`CSI 4 h/l`): printing shifts the rest of the line right.
    public var insertMode = false
    /// Every DEC private mode number currently set (`CSI ? n h`), including ones not modelled
    /// above, e.g. 1000/1002/1006 for mouse reporting.
    public var privateModes: Set<Int> = [7, 25]

    public init() {}

    /// True when any mouse reporting mode (9, 1000, 1002, 1003) is on.
    public var mouseReporting: Bool { !privateModes.isDisjoint(with: [9, 1000, 1002, 1003]) }
}

public struct VirtualScreen: Sendable, CustomStringConvertible {
    public private(set) var width: Int
    public private(set) var height: Int
    /// Where the next character goes. While a wrap is pending after writing the last column,
    /// this stays on the last column (as in xterm).
    public private(set) var cursor = ScreenPosition(row: 0, col: 0)
    public private(set) var modes = TerminalModes()
    public private(set) var isAlternateScreen = false
    /// Every OSC string received (the text between `ESC ]` and its BEL/ST terminator).
    public private(set) var oscSequences: [String] = []
    /// How many DCS, APC, PM and SOS strings were received (their contents are discarded).
    public private(set) var controlStringCount = 0
    public private(set) var bellCount = 0

    private var grid: [[ScreenCell]]
    /// The buffer not on display: the alternate screen while the main one shows, and vice versa.
    private var inactiveGrid: [[ScreenCell]]
    private var pendingWrap = false
    private var attributes = CellAttributes.plain
    private var scrollTop = 0
    private var scrollBottom: Int
    private var tabStops: [Bool]
    private var charsets = CharsetState()
    /// DECSC slots, one per buffer as in xterm: [main, alternate].
    private var savedCursors: [SavedCursor?] = [nil, nil]
    /// The last graphic character printed, repeated by REP (`CSI n b`).
    private var lastGraphic: (text: String, width: Int)?
    /// Bytes the terminal sends back to the application (DSR/DA answers), drained by `feed`.
    private var responses: [UInt8] = []

    private var utf8 = UTF8Decoder()
    private var parser = ParserState.ground
    private var sequence = SequenceBuffer()

    public init(width: Int = 80, height: Int = 24) {
        let width = max(1, width)
        let height = max(1, height)
        self.width = width
        self.height = height
        grid = Self.blankGrid(width: width, height: height, attributes: .plain)
        inactiveGrid = grid
        scrollBottom = height - 1
        tabStops = Self.defaultTabStops(width: width)
    }

    // MARK: Reading the screen

    /// The text of every row: wide-character continuations skipped, trailing spaces trimmed.
    public var lines: [String] {
        grid.map { row in
            var line = ""
            for cell in row where !cell.isWideContinuation { line += cell.text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// All rows joined with newlines.
    public var text: String { lines.joined(separator: "\n") }

    /// The cell at a position, or nil outside the screen.
    public func cell(row: Int, col: Int) -> ScreenCell? {
        guard row >= 0, row < height, col >= 0, col < width else { return nil }
        return grid[row][col]
    }

    /// The first position (top to bottom, left to right) where `needle` appears, matching one
    /// grapheme per cell; the column is the cell column, so wide characters count twice.
    public func find(_ needle: String) -> ScreenPosition? {
        let wanted = needle.map { String($0) }
        guard !wanted.isEmpty else { return nil }
        for row in 0..<height {
            let cells = grid[row].indices.filter { !grid[row][$0].isWideContinuation }
            guard cells.count >= wanted.count else { continue }
            for start in 0...(cells.count - wanted.count)
            where (0..<wanted.count).allSatisfy({ grid[row][cells[start + $0]].text == wanted[$0] }) {
                return ScreenPosition(row: row, col: cells[start])
            }
        }
        return nil
    }

    public func contains(_ needle: String) -> Bool { find(needle) != nil }

    /// A framed rendering with row numbers, cursor and modes, for failure messages.
    public var dump: String {
        var out = "screen \(width)x\(height), cursor \(cursor)\(modes.cursorVisible ? "" : " hidden")"
        out += isAlternateScreen ? ", alternate screen" : ", main screen"
        out += "\n    +" + String(repeating: "-", count: width) + "+\n"
        for (index, line) in lines.enumerated() {
            let number = String(index)
            out += String(repeating: " ", count: max(0, 3 - number.count)) + number + " |" + line + "\n"
        }
        out += "    +" + String(repeating: "-", count: width) + "+"
        return out
    }

    public var description: String { dump }

    // MARK: Input

    /// Interprets bytes from the application. Bytes may split UTF-8 characters and escape
    /// sequences anywhere; the state carries over to the next call. Returns what the terminal
    /// answers (cursor position and device attribute reports), to be written back to the app.
    @discardableResult
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        // wcwidth follows the thread's LC_CTYPE; a thread-local UTF-8 locale gives the widths
        // ncurses uses without touching the process-wide locale other tests may rely on.
        let previousLocale: locale_t? = UTF8Locale.shared.flatMap { uselocale($0.handle) }
        defer { if let previousLocale { uselocale(previousLocale) } }
        // The decoder is taken out of `self` while bytes are handled, so that handling them
        // (which mutates `self`) does not overlap with mutating the decoder.
        var decoder = utf8
        for byte in bytes {
            decoder.decode(byte) { handle($0) }
        }
        utf8 = decoder
        let answer = responses
        responses.removeAll()
        return answer
    }

    @discardableResult
    public mutating func feed(_ text: String) -> [UInt8] { feed(Array(text.utf8)) }

    /// Changes the size like an xterm window resize: contents are kept from the top left,
    /// except that rows are dropped from the top when needed to keep the cursor on screen;
    /// the scrolling region resets to the full screen.
    public mutating func resize(width newWidth: Int, height newHeight: Int) {
        let newWidth = max(1, newWidth)
        let newHeight = max(1, newHeight)
        let droppedRows = max(0, cursor.row - (newHeight - 1))
        grid = resized(grid, width: newWidth, height: newHeight, droppingTopRows: droppedRows)
        inactiveGrid = resized(inactiveGrid, width: newWidth, height: newHeight, droppingTopRows: 0)
        width = newWidth
        height = newHeight
        cursor.row -= droppedRows
        clampCursor()
        pendingWrap = false
        scrollTop = 0
        scrollBottom = newHeight - 1
        tabStops = Self.defaultTabStops(width: newWidth)
        for index in savedCursors.indices {
            guard var saved = savedCursors[index] else { continue }
            saved.position.row = min(saved.position.row, newHeight - 1)
            saved.position.col = min(saved.position.col, newWidth - 1)
            savedCursors[index] = saved
        }
    }

    private func resized(_ rows: [[ScreenCell]], width newWidth: Int, height newHeight: Int, droppingTopRows dropped: Int) -> [[ScreenCell]] {
        var rows = Array(rows.dropFirst(dropped))
        for index in rows.indices {
            if rows[index].count > newWidth {
                rows[index].removeSubrange(newWidth...)
            } else {
                rows[index] += Array(repeating: ScreenCell(), count: newWidth - rows[index].count)
            }
            Self.repairWideCells(&rows[index], blank: ScreenCell())
        }
        if rows.count > newHeight {
            rows.removeSubrange(newHeight...)
        } else {
            rows += Array(repeating: Array(repeating: ScreenCell(), count: newWidth), count: newHeight - rows.count)
        }
        return rows
    }

    // MARK: Parser

    private mutating func handle(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        // CAN and SUB abort any sequence; ESC starts a new one (ending a string in progress).
        if value == 0x18 || value == 0x1A {
            parser = .ground
            return
        }
        switch parser {
        case .ground:
            if value < 0x20 {
                control(value)
            } else if value == 0x7F || (0x80..<0xA0).contains(value) {
                // DEL is ignored; C1 controls are not interpreted in UTF-8 mode, as in xterm.
            } else {
                printGraphic(scalar)
            }
        case .escape:
            escape(scalar)
        case .escapeIntermediate:
            if value < 0x20 {
                escapeOrControl(value)
            } else if value < 0x30 {
                sequence.append(scalar)
            } else if value < 0x7F {
                dispatchEscape(intermediates: sequence.text, final: scalar)
                parser = .ground
            } else {
                parser = .ground
            }
        case .csi:
            if value < 0x20 {
                escapeOrControl(value)
            } else if value < 0x30 {
                sequence.intermediates.unicodeScalars.append(scalar)
            } else if value < 0x40 {
                if !sequence.intermediates.isEmpty {
                    sequence.invalid = true
                } else if "<=>?".unicodeScalars.contains(scalar) {
                    if sequence.text.isEmpty && sequence.privateMarker == nil {
                        sequence.privateMarker = Character(scalar)
                    } else {
                        sequence.invalid = true
                    }
                } else {
                    sequence.append(scalar)
                }
            } else if value < 0x7F {
                if !sequence.invalid { dispatchCSI(final: Character(scalar)) }
                parser = .ground
            } else {
                parser = .ground
            }
        case .osc:
            if value == 0x07 {
                finishOSC()
            } else if value == 0x1B {
                parser = .oscEscape
            } else if value >= 0x20 {
                sequence.append(scalar)
            }
        case .oscEscape:
            finishOSC()
            if scalar != "\\" {
                parser = .escape
                escape(scalar)
            }
        case .controlString:
            if value == 0x1B {
                parser = .controlStringEscape
            } else if value == 0x07 {
                parser = .ground
            }
        case .controlStringEscape:
            parser = .ground
            if scalar != "\\" {
                parser = .escape
                escape(scalar)
            }
        }
    }

    /// A C0 control inside an escape or control sequence is executed without ending it,
    /// except ESC, which starts over.
    private mutating func escapeOrControl(_ value: UInt32) {
        if value == 0x1B {
            parser = .escape
            sequence = SequenceBuffer()
        } else {
            control(value)
        }
    }

    private mutating func finishOSC() {
        oscSequences.append(sequence.text)
        parser = .ground
    }

    private mutating func control(_ value: UInt32) {
        switch value {
        case 0x07: bellCount += 1
        case 0x08: backspace()
        case 0x09: tab(count: 1)
        case 0x0A, 0x0B, 0x0C: lineFeed()
        case 0x0D: carriageReturn()
        case 0x0E: charsets.shiftedToG1 = true
        case 0x0F: charsets.shiftedToG1 = false
        case 0x1B:
            parser = .escape
            sequence = SequenceBuffer()
        default: break
        }
    }

    private mutating func escape(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        sequence = SequenceBuffer()
        if value < 0x20 {
            escapeOrControl(value)
            return
        }
        parser = .ground
        switch scalar {
        case "[": parser = .csi
        case "]": parser = .osc
        case "P", "X", "^", "_": parser = .controlString; controlStringCount += 1
        case "7": saveCursor()
        case "8": restoreCursor()
        case "D": index()
        case "M": reverseIndex()
        case "E": carriageReturn(); index()
        case "H": tabStops[cursor.col] = true
        case "c": fullReset()
        case "=": modes.applicationKeypad = true
        case ">": modes.applicationKeypad = false
        default:
            if (0x20..<0x30).contains(value) {
                sequence.append(scalar)
                parser = .escapeIntermediate
            }
            // Other finals (SS2/SS3, ST without a string, DECBI, …) have no effect here.
        }
    }

    private mutating func dispatchEscape(intermediates: String, final: Unicode.Scalar) {
        switch intermediates {
        case "(": charsets.g0 = final == "0" ? .decLineDrawing : .ascii
        case ")": charsets.g1 = final == "0" ? .decLineDrawing : .ascii
        case "#":
            if final == "8" { screenAlignmentTest() }
        default:
            break // G2/G3 designations, `ESC % G`, `ESC SP F`, …: nothing to emulate.
        }
    }

    // MARK: CSI

    private mutating func dispatchCSI(final: Character) {
        let params = sequence.parameters()
        func value(_ index: Int) -> Int? { Self.parameter(params, index) }
        // A count or coordinate: absent and 0 both mean 1.
        func count(_ index: Int = 0) -> Int { max(1, value(index) ?? 1) }

        switch (sequence.privateMarker, sequence.intermediates) {
        case (.some("?"), ""):
            privateCSI(final: final, params: params)
            return
        case (.some(">"), ""):
            if final == "c" { respond("\u{1B}[>0;0;0c") } // secondary DA: a plain VT100
            return
        case (nil, "!"):
            if final == "p" { softReset() }
            return
        case (nil, ""):
            break
        default:
            return // DECSCUSR, DECRQM, XTVERSION, kitty keyboard queries, …: ignored
        }

        switch final {
        case "@": insertCharacters(count())
        case "A": moveUp(count())
        case "B", "e": moveDown(count())
        case "C", "a": moveTo(row: cursor.row, col: cursor.col + count())
        case "D": moveTo(row: cursor.row, col: cursor.col - count())
        case "E": moveDown(count()); cursor.col = 0
        case "F": moveUp(count()); cursor.col = 0
        case "G", "`": moveTo(row: cursor.row, col: count() - 1)
        case "H", "f": cursorPosition(row: count(0), col: count(1))
        case "I": tab(count: count())
        case "J": eraseInDisplay(value(0) ?? 0)
        case "K": eraseInLine(value(0) ?? 0)
        case "L": insertLines(count())
        case "M": deleteLines(count())
        case "P": deleteCharacters(count())
        case "S": scrollUp(count(), top: scrollTop, bottom: scrollBottom)
        case "T":
            // With more than one parameter this is xterm's mouse highlight tracking, not SD.
            if params.count <= 1 { scrollDown(count(), top: scrollTop, bottom: scrollBottom) }
        case "X": eraseCharacters(count())
        case "Z": backTab(count: count())
        case "b": repeatLastGraphic(count())
        case "c": if (value(0) ?? 0) == 0 { respond("\u{1B}[?6c") }
        case "d": moveTo(row: (modes.originMode ? scrollTop : 0) + count() - 1, col: cursor.col)
        case "g": clearTabStops(value(0) ?? 0)
        case "h", "l": setANSIModes(params, on: final == "h")
        case "m": selectGraphicRendition(params)
        case "n":
            switch value(0) {
            case 5: respond("\u{1B}[0n")
            case 6: respond("\u{1B}[\(reportedRow);\(cursor.col + 1)R")
            default: break
            }
        case "r": setScrollingRegion(top: value(0), bottom: value(1))
        case "s": if params.isEmpty { saveCursor() }
        case "u": if params.isEmpty { restoreCursor() }
        default: break // `t` window operations and anything unknown
        }
    }

    /// First value of the n-th parameter, nil when absent or empty.
    private static func parameter(_ params: [[Int?]], _ index: Int) -> Int? {
        index < params.count ? params[index].first ?? nil : nil
    }

    private var reportedRow: Int { cursor.row + 1 - (modes.originMode ? scrollTop : 0) }

    private mutating func privateCSI(final: Character, params: [[Int?]]) {
        switch final {
        case "h", "l":
            for param in params {
                if let mode = param.first ?? nil { setPrivateMode(mode, on: final == "h") }
            }
        case "J": eraseInDisplay(Self.parameter(params, 0) ?? 0)
        case "K": eraseInLine(Self.parameter(params, 0) ?? 0)
        case "n":
            if Self.parameter(params, 0) == 6 {
                respond("\u{1B}[?\(reportedRow);\(cursor.col + 1);1R")
            }
        default: break
        }
    }

    private mutating func setPrivateMode(_ mode: Int, on: Bool) {
        if on {
            modes.privateModes.insert(mode)
        } else {
            modes.privateModes.remove(mode)
        }
        switch mode {
        case 1: modes.applicationCursorKeys = on
        case 6:
            modes.originMode = on
            cursorPosition(row: 1, col: 1)
        case 7:
            modes.autowrap = on
            if !on { pendingWrap = false }
        case 25: modes.cursorVisible = on
        case 2004: modes.bracketedPaste = on
        case 47:
            switchScreen(toAlternate: on)
        case 1047:
            if on {
                switchScreen(toAlternate: true)
            } else {
                if isAlternateScreen { eraseAll() }
                switchScreen(toAlternate: false)
            }
        case 1048:
            if on { saveCursor() } else { restoreCursor() }
        case 1049:
            if on {
                if !isAlternateScreen { saveCursor() }
                switchScreen(toAlternate: true)
                eraseAll()
            } else {
                // xterm restores the cursor even when the alternate screen was not active.
                switchScreen(toAlternate: false)
                restoreCursor()
            }
        default:
            break
        }
    }

    private mutating func setANSIModes(_ params: [[Int?]], on: Bool) {
        for param in params where (param.first ?? nil) == 4 {
            modes.insertMode = on
        }
    }

    private mutating func switchScreen(toAlternate: Bool) {
        guard toAlternate != isAlternateScreen else { return }
        swap(&grid, &inactiveGrid)
        isAlternateScreen = toAlternate
        pendingWrap = false
    }

    // MARK: SGR

    private mutating func selectGraphicRendition(_ params: [[Int?]]) {
        if params.isEmpty {
            attributes = .plain
            return
        }
        var index = 0
        while index < params.count {
            let group = params[index]
            let code = (group.first ?? nil) ?? 0
            switch code {
            case 0: attributes = .plain
            case 1: attributes.bold = true
            case 2: attributes.dim = true
            case 3: attributes.italic = true
            case 4:
                // `4:0` is "no underline"; other `4:n` styles are all some underline.
                attributes.underline = group.count < 2 || (group[1] ?? 1) != 0
            case 5, 6: attributes.blink = true
            case 7: attributes.reverse = true
            case 8: attributes.invisible = true
            case 9: attributes.strikethrough = true
            case 21: attributes.underline = true
            case 22: attributes.bold = false; attributes.dim = false
            case 23: attributes.italic = false
            case 24: attributes.underline = false
            case 25: attributes.blink = false
            case 27: attributes.reverse = false
            case 28: attributes.invisible = false
            case 29: attributes.strikethrough = false
            case 30...37: attributes.foreground = .indexed(UInt8(code - 30))
            case 39: attributes.foreground = nil
            case 40...47: attributes.background = .indexed(UInt8(code - 40))
            case 49: attributes.background = nil
            case 90...97: attributes.foreground = .indexed(UInt8(code - 90 + 8))
            case 100...107: attributes.background = .indexed(UInt8(code - 100 + 8))
            case 38, 48:
                let color: TerminalColor?
                if group.count > 1 {
                    color = Self.extendedColor(Array(group.dropFirst()))
                } else {
                    // Semicolon form: the colour's parameters follow as separate parameters.
                    let following = params[(index + 1)...].map { $0.first ?? nil }
                    let (parsed, consumed) = Self.extendedColorSemicolon(following)
                    color = parsed
                    index += consumed
                }
                if let color {
                    if code == 38 { attributes.foreground = color } else { attributes.background = color }
                }
            default:
                break
            }
            index += 1
        }
    }

    /// `38:5:n`, `38:2:r:g:b` or `38:2:colourspace:r:g:b` (the part after `38`).
    private static func extendedColor(_ values: [Int?]) -> TerminalColor? {
        guard let kind = values.first ?? nil else { return nil }
        switch kind {
        case 5:
            guard values.count > 1, let n = values[1], (0...255).contains(n) else { return nil }
            return .indexed(UInt8(n))
        case 2:
            let rgb = values.count >= 5 ? Array(values.suffix(3)) : Array(values.dropFirst())
            guard rgb.count == 3 else { return nil }
            let channels = rgb.map { UInt8(clamping: $0 ?? 0) }
            return .rgb(channels[0], channels[1], channels[2])
        default:
            return nil
        }
    }

    /// `38;5;n` or `38;2;r;g;b`: returns the colour and how many following parameters it used.
    private static func extendedColorSemicolon(_ following: [Int?]) -> (TerminalColor?, Int) {
        guard let kind = following.first ?? nil else { return (nil, following.isEmpty ? 0 : 1) }
        switch kind {
        case 5:
            guard following.count >= 2 else { return (nil, following.count) }
            return (extendedColor(Array(following.prefix(2))), 2)
        case 2:
            guard following.count >= 4 else { return (nil, following.count) }
            return (extendedColor(Array(following.prefix(4))), 4)
        default:
            return (nil, 1)
        }
    }

    // MARK: Printing

    private mutating func printGraphic(_ scalar: Unicode.Scalar) {
        if charsets.active == .decLineDrawing, let mapped = decLineDrawing[scalar.value] {
            printCell(String(mapped), width: 1)
            return
        }
        let columns = scalar.isASCII ? 1 : Int(c_wcwidth(Int32(bitPattern: scalar.value)))
        if columns == 0 {
            attachCombining(scalar)
        } else {
            // wcwidth is -1 for unassigned code points; xterm still gives them one cell.
            printCell(String(scalar), width: columns < 0 ? 1 : min(columns, 2))
        }
    }

    private mutating func printCell(_ text: String, width columns: Int) {
        let columns = min(columns, width)
        if pendingWrap && modes.autowrap {
            carriageReturn()
            lineFeed()
        }
        pendingWrap = false
        if cursor.col + columns > width {
            if modes.autowrap {
                carriageReturn()
                lineFeed()
            } else {
                cursor.col = width - columns
            }
        }
        let blank = eraseCell
        if modes.insertMode {
            grid[cursor.row].insert(contentsOf: Array(repeating: blank, count: columns), at: cursor.col)
            grid[cursor.row].removeLast(columns)
        }
        grid[cursor.row][cursor.col] = ScreenCell(text: text, attributes: attributes, width: columns)
        if columns == 2 {
            grid[cursor.row][cursor.col + 1] = ScreenCell(text: "", attributes: attributes, width: 0)
        }
        Self.repairWideCells(&grid[cursor.row], blank: blank)
        lastGraphic = (text, columns)
        cursor.col += columns
        if cursor.col >= width {
            cursor.col = width - 1
            pendingWrap = modes.autowrap
        }
    }

    /// Zero-width characters (combining marks, ZWJ, variation selectors) join the character
    /// just before the cursor, as in xterm.
    private mutating func attachCombining(_ scalar: Unicode.Scalar) {
        var col = pendingWrap ? cursor.col : cursor.col - 1
        if col >= 0 && grid[cursor.row][col].isWideContinuation { col -= 1 }
        guard col >= 0 else { return }
        grid[cursor.row][col].text.unicodeScalars.append(scalar)
    }

    private mutating func repeatLastGraphic(_ times: Int) {
        guard let lastGraphic else { return }
        for _ in 0..<min(times, width * height) {
            printCell(lastGraphic.text, width: lastGraphic.width)
        }
    }

    // MARK: Cursor movement

    private mutating func moveTo(row: Int, col: Int) {
        cursor = ScreenPosition(row: row, col: col)
        clampCursor()
        pendingWrap = false
    }

    private mutating func clampCursor() {
        cursor.row = min(max(cursor.row, 0), height - 1)
        cursor.col = min(max(cursor.col, 0), width - 1)
    }

    private mutating func cursorPosition(row: Int, col: Int) {
        if modes.originMode {
            moveTo(row: min(scrollTop + row - 1, scrollBottom), col: col - 1)
        } else {
            moveTo(row: row - 1, col: col - 1)
        }
    }

    /// Up and down stop at the scrolling region's edge when starting inside it.
    private mutating func moveUp(_ count: Int) {
        let limit = cursor.row >= scrollTop ? scrollTop : 0
        moveTo(row: max(limit, cursor.row - count), col: cursor.col)
    }

    private mutating func moveDown(_ count: Int) {
        let limit = cursor.row <= scrollBottom ? scrollBottom : height - 1
        moveTo(row: min(limit, cursor.row + count), col: cursor.col)
    }

    private mutating func carriageReturn() {
        cursor.col = 0
        pendingWrap = false
    }

    private mutating func backspace() {
        if cursor.col > 0 { cursor.col -= 1 }
        pendingWrap = false
    }

    private mutating func lineFeed() {
        index()
    }

    /// IND: down one row, scrolling the region when on its bottom row.
    private mutating func index() {
        pendingWrap = false
        if cursor.row == scrollBottom {
            scrollUp(1, top: scrollTop, bottom: scrollBottom)
        } else if cursor.row < height - 1 {
            cursor.row += 1
        }
    }

    /// RI: up one row, scrolling the region down when on its top row.
    private mutating func reverseIndex() {
        pendingWrap = false
        if cursor.row == scrollTop {
            scrollDown(1, top: scrollTop, bottom: scrollBottom)
        } else if cursor.row > 0 {
            cursor.row -= 1
        }
    }

    private mutating func tab(count: Int) {
        pendingWrap = false
        for _ in 0..<min(count, width) {
            var col = cursor.col + 1
            while col < width - 1 && !tabStops[col] { col += 1 }
            cursor.col = min(col, width - 1)
        }
    }

    private mutating func backTab(count: Int) {
        pendingWrap = false
        for _ in 0..<min(count, width) {
            var col = cursor.col - 1
            while col > 0 && !tabStops[col] { col -= 1 }
            cursor.col = max(col, 0)
        }
    }

    private mutating func clearTabStops(_ mode: Int) {
        switch mode {
        case 0: tabStops[cursor.col] = false
        case 3: tabStops = Array(repeating: false, count: width)
        default: break
        }
    }

    private mutating func setScrollingRegion(top: Int?, bottom: Int?) {
        let top = max(1, top ?? 1)
        let bottom = min(height, (bottom ?? 0) == 0 ? height : bottom!)
        guard top < bottom else { return }
        scrollTop = top - 1
        scrollBottom = bottom - 1
        cursorPosition(row: 1, col: 1)
    }

    private mutating func saveCursor() {
        savedCursors[isAlternateScreen ? 1 : 0] = SavedCursor(
            position: cursor, attributes: attributes, pendingWrap: pendingWrap,
            originMode: modes.originMode, autowrap: modes.autowrap, charsets: charsets)
    }

    private mutating func restoreCursor() {
        let saved = savedCursors[isAlternateScreen ? 1 : 0] ?? SavedCursor()
        cursor = saved.position
        clampCursor()
        attributes = saved.attributes
        pendingWrap = saved.pendingWrap && saved.autowrap
        modes.originMode = saved.originMode
        modes.autowrap = saved.autowrap
        charsets = saved.charsets
    }

    // MARK: Erasing, inserting, deleting, scrolling

    /// Erased cells keep the current background colour (xterm's `bce`, which ncurses relies on).
    private var eraseCell: ScreenCell {
        ScreenCell(attributes: CellAttributes(background: attributes.background))
    }

    private mutating func erase(row: Int, from start: Int, to end: Int) {
        let start = max(0, start)
        let end = min(width, end)
        guard start < end else { return }
        let blank = eraseCell
        for col in start..<end { grid[row][col] = blank }
        Self.repairWideCells(&grid[row], blank: blank)
    }

    private mutating func eraseInDisplay(_ mode: Int) {
        switch mode {
        case 0:
            erase(row: cursor.row, from: cursor.col, to: width)
            for row in (cursor.row + 1)..<height { erase(row: row, from: 0, to: width) }
        case 1:
            for row in 0..<cursor.row { erase(row: row, from: 0, to: width) }
            erase(row: cursor.row, from: 0, to: cursor.col + 1)
        case 2:
            eraseAll()
        default:
            break // 3 clears the scrollback, which this emulator does not keep.
        }
        pendingWrap = false
    }

    private mutating func eraseAll() {
        for row in 0..<height { erase(row: row, from: 0, to: width) }
    }

    private mutating func eraseInLine(_ mode: Int) {
        switch mode {
        case 0: erase(row: cursor.row, from: cursor.col, to: width)
        case 1: erase(row: cursor.row, from: 0, to: cursor.col + 1)
        case 2: erase(row: cursor.row, from: 0, to: width)
        default: break
        }
        pendingWrap = false
    }

    private mutating func eraseCharacters(_ count: Int) {
        erase(row: cursor.row, from: cursor.col, to: cursor.col + count)
        pendingWrap = false
    }

    private mutating func insertCharacters(_ count: Int) {
        let count = min(count, width - cursor.col)
        let blank = eraseCell
        grid[cursor.row].insert(contentsOf: Array(repeating: blank, count: count), at: cursor.col)
        grid[cursor.row].removeLast(count)
        Self.repairWideCells(&grid[cursor.row], blank: blank)
        pendingWrap = false
    }

    private mutating func deleteCharacters(_ count: Int) {
        let count = min(count, width - cursor.col)
        let blank = eraseCell
        grid[cursor.row].removeSubrange(cursor.col..<(cursor.col + count))
        grid[cursor.row].append(contentsOf: Array(repeating: blank, count: count))
        Self.repairWideCells(&grid[cursor.row], blank: blank)
        pendingWrap = false
    }

    /// IL and DL act between the cursor row and the region's bottom, and only inside the region.
    private mutating func insertLines(_ count: Int) {
        guard cursor.row >= scrollTop && cursor.row <= scrollBottom else { return }
        scrollDown(count, top: cursor.row, bottom: scrollBottom)
        carriageReturn()
    }

    private mutating func deleteLines(_ count: Int) {
        guard cursor.row >= scrollTop && cursor.row <= scrollBottom else { return }
        scrollUp(count, top: cursor.row, bottom: scrollBottom)
        carriageReturn()
    }

    /// Moves rows `top...bottom` up by `count`, blank rows entering at the bottom.
    private mutating func scrollUp(_ count: Int, top: Int, bottom: Int) {
        let count = min(count, bottom - top + 1)
        guard count > 0 else { return }
        let blankRow = Array(repeating: eraseCell, count: width)
        grid.removeSubrange(top..<(top + count))
        grid.insert(contentsOf: Array(repeating: blankRow, count: count), at: bottom - count + 1)
    }

    /// Moves rows `top...bottom` down by `count`, blank rows entering at the top.
    private mutating func scrollDown(_ count: Int, top: Int, bottom: Int) {
        let count = min(count, bottom - top + 1)
        guard count > 0 else { return }
        let blankRow = Array(repeating: eraseCell, count: width)
        grid.removeSubrange((bottom - count + 1)...bottom)
        grid.insert(contentsOf: Array(repeating: blankRow, count: count), at: top)
    }

    private mutating func screenAlignmentTest() {
        grid = Array(repeating: Array(repeating: ScreenCell(text: "E"), count: width), count: height)
        scrollTop = 0
        scrollBottom = height - 1
        moveTo(row: 0, col: 0)
    }

    // MARK: Resets

    private mutating func fullReset() {
        // Counters and pending answers describe the stream, not the screen, so they survive.
        let osc = oscSequences
        let strings = controlStringCount
        let bells = bellCount
        let pending = responses
        self = VirtualScreen(width: width, height: height)
        oscSequences = osc
        controlStringCount = strings
        bellCount = bells
        responses = pending
    }

    private mutating func softReset() {
        modes.cursorVisible = true
        modes.privateModes.insert(25)
        modes.insertMode = false
        modes.originMode = false
        modes.privateModes.remove(6)
        modes.autowrap = true
        modes.privateModes.insert(7)
        modes.applicationCursorKeys = false
        modes.privateModes.remove(1)
        modes.applicationKeypad = false
        attributes = .plain
        charsets = CharsetState()
        scrollTop = 0
        scrollBottom = height - 1
        savedCursors[isAlternateScreen ? 1 : 0] = nil
        pendingWrap = false
    }

    private mutating func respond(_ text: String) {
        responses.append(contentsOf: text.utf8)
    }

    // MARK: Helpers

    private static func blankGrid(width: Int, height: Int, attributes: CellAttributes) -> [[ScreenCell]] {
        Array(repeating: Array(repeating: ScreenCell(attributes: attributes), count: width), count: height)
    }

    private static func defaultTabStops(width: Int) -> [Bool] {
        (0..<width).map { $0 > 0 && $0 % 8 == 0 }
    }

    /// Keeps wide characters whole after a partial overwrite, erase, insert or delete: a lead
    /// cell without its continuation, or a continuation without its lead, becomes blank.
    private static func repairWideCells(_ row: inout [ScreenCell], blank: ScreenCell) {
        var col = 0
        while col < row.count {
            if row[col].width == 2 {
                if col + 1 < row.count && row[col + 1].width == 0 {
                    col += 2
                    continue
                }
                row[col] = blank
            } else if row[col].width == 0 {
                row[col] = blank
            }
            col += 1
        }
    }
}

// MARK: - Parser support types

private enum ParserState: Sendable {
    case ground, escape, escapeIntermediate, csi, osc, oscEscape, controlString, controlStringEscape
}

/// What has been collected of the sequence being parsed.
private struct SequenceBuffer: Sendable {
    /// Parameter characters of a CSI, intermediates of an ESC sequence, or the text of an OSC.
    var text = ""
    var privateMarker: Character?
    var intermediates = ""
    var invalid = false

    /// Garbage streams must not grow memory without bound; longer sequences are cut here.
    static let limit = 64 * 1024

    mutating func append(_ scalar: Unicode.Scalar) {
        if text.unicodeScalars.count < Self.limit { text.unicodeScalars.append(scalar) }
    }

    /// CSI parameters: `;` separates parameters, `:` sub-parameters; empty ones are nil.
    /// Values saturate so that absurd numbers cannot overflow.
    func parameters() -> [[Int?]] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: ";", omittingEmptySubsequences: false).map { parameter in
            parameter.split(separator: ":", omittingEmptySubsequences: false).map { digits -> Int? in
                guard !digits.isEmpty else { return nil }
                var value = 0
                for digit in digits.unicodeScalars {
                    guard (0x30...0x39).contains(digit.value) else { return nil }
                    value = min(value * 10 + Int(digit.value - 0x30), 99_999)
                }
                return value
            }
        }
    }
}

private struct SavedCursor: Sendable {
    var position = ScreenPosition(row: 0, col: 0)
    var attributes = CellAttributes.plain
    var pendingWrap = false
    var originMode = false
    var autowrap = true
    var charsets = CharsetState()
}

private enum Charset: Sendable {
    case ascii, decLineDrawing
}

private struct CharsetState: Sendable {
    var g0 = Charset.ascii
    var g1 = Charset.ascii
    /// SO (Ctrl-N) selects G1, SI (Ctrl-O) G0.
    var shiftedToG1 = false
    var active: Charset { shiftedToG1 ? g1 : g0 }
}

/// DEC Special Graphics (`ESC ( 0`), which ncurses uses for box drawing under xterm.
private let decLineDrawing: [UInt32: Character] = [
    0x5F: "\u{00A0}", 0x60: "◆", 0x61: "▒", 0x62: "␉", 0x63: "␌", 0x64: "␍", 0x65: "␊",
    0x66: "°", 0x67: "±", 0x68: "␤", 0x69: "␋", 0x6A: "┘", 0x6B: "┐", 0x6C: "┌", 0x6D: "└",
    0x6E: "┼", 0x6F: "⎺", 0x70: "⎻", 0x71: "─", 0x72: "⎼", 0x73: "⎽", 0x74: "├", 0x75: "┤",
    0x76: "┴", 0x77: "┬", 0x78: "│", 0x79: "≤", 0x7A: "≥", 0x7B: "π", 0x7C: "≠", 0x7D: "£",
    0x7E: "·",
]

/// Incremental UTF-8 decoding that survives characters split across reads. Malformed input
/// becomes U+FFFD, as in xterm.
private struct UTF8Decoder: Sendable {
    private var needed = 0
    private var value: UInt32 = 0
    private var minimum: UInt32 = 0

    mutating func decode(_ byte: UInt8, _ emit: (Unicode.Scalar) -> Void) {
        if needed > 0 {
            if byte & 0xC0 == 0x80 {
                value = value << 6 | UInt32(byte & 0x3F)
                needed -= 1
                if needed == 0 {
                    let valid = value >= minimum ? Unicode.Scalar(value) : nil
                    emit(valid ?? "\u{FFFD}")
                }
                return
            }
            needed = 0
            emit("\u{FFFD}")
        }
        switch byte {
        case 0x00..<0x80: emit(Unicode.Scalar(byte))
        case 0xC0..<0xE0: start(1, UInt32(byte & 0x1F), minimum: 0x80)
        case 0xE0..<0xF0: start(2, UInt32(byte & 0x0F), minimum: 0x800)
        case 0xF0..<0xF8: start(3, UInt32(byte & 0x07), minimum: 0x10000)
        default: emit("\u{FFFD}")
        }
    }

    private mutating func start(_ count: Int, _ bits: UInt32, minimum: UInt32) {
        needed = count
        value = bits
        self.minimum = minimum
    }
}

@_silgen_name("wcwidth") private func c_wcwidth(_ wc: Int32) -> Int32

/// A UTF-8 LC_CTYPE locale object, installed per thread with `uselocale` while decoding.
private struct UTF8Locale: @unchecked Sendable {
    // @unchecked: `locale_t` is an immutable glibc object that is never freed; sharing the
    // pointer between threads is how `uselocale` is meant to be used.
    let handle: locale_t

    static let shared: UTF8Locale? = {
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] {
            if let handle = newlocale(LC_CTYPE_MASK, name, nil) { return UTF8Locale(handle: handle) }
        }
        return nil
    }()
}
