/// One screen cell: a single grapheme, or "" for a column covered by the wide grapheme to its left.
/// A cell never holds a control character: `CellGrid` replaces them with U+FFFD on the way in.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var style: CellStyle

    public init(text: String, style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }

    public static let blank = Cell(text: " ")

    /// True for the columns after the first one of a wide grapheme.
    public var isContinuation: Bool { text.isEmpty }
}

/// A plain grid of cells that the UI draws into. `TerminalScreen.render` puts it on screen; tests
/// read it back as text. Every write keeps two invariants: no control characters in any cell, and
/// every wide grapheme is followed by exactly (width - 1) continuation cells on the same row.
public struct CellGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    private var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// Out-of-range reads give a blank cell and out-of-range writes are ignored, so a layout bug
    /// clips instead of crashing the terminal. A write goes through the same checks as `put`:
    /// "" makes the cell a blank (a continuation cannot be written on its own) and text with
    /// more than one grapheme keeps only the first.
    public subscript(row: Int, column: Int) -> Cell {
        get {
            guard contains(row: row, column: column) else { return .blank }
            return cells[row * width + column]
        }
        set {
            guard contains(row: row, column: column) else { return }
            if newValue.text.isEmpty {
                // Keeping a continuation as it is (`grid[r, c].style = …`) only changes its style.
                if cells[row * width + column].isContinuation {
                    cells[row * width + column].style = newValue.style
                } else {
                    place(" ", width: 1, style: newValue.style, row: row, column: column)
                }
                return
            }
            let grapheme = CellGrid.displayable(newValue.text.first!)
            if DisplayWidth.of(grapheme) == 0 {
                place(" ", width: 1, style: newValue.style, row: row, column: column)
            } else {
                put(String(grapheme), row: row, column: column, style: newValue.style)
            }
        }
    }

    /// Writes `text` grapheme by grapheme from (row, column), clipped to `maxWidth` columns and
    /// to the grid. Returns the number of columns advanced (including clipped-away columns left of
    /// the grid when `column` is negative). Graphemes holding a control character or a scalar with
    /// negative width become U+FFFD; zero-width graphemes are skipped; a wide grapheme that would
    /// straddle the clip edge is replaced by spaces up to that edge.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: CellStyle, maxWidth: Int? = nil) -> Int {
        guard row >= 0 && row < height else { return 0 }
        let limit = min(width, maxWidth.map { column + max($0, 0) } ?? width)
        var position = column
        for grapheme in text {
            guard position < limit else { break }
            let safe = CellGrid.displayable(grapheme)
            let w = DisplayWidth.of(safe)
            if w == 0 { continue }
            let end = position + w
            if end > limit || position < 0 {
                // Partly visible (clip edge or left of the grid): show blanks in its visible columns.
                let visible = max(position, 0)..<max(min(end, limit), 0)
                for c in visible {
                    place(" ", width: 1, style: style, row: row, column: c)
                }
                position = min(end, limit)
                if end > limit { break }
                continue
            }
            place(String(safe), width: w, style: style, row: row, column: position)
            position = end
        }
        return position - column
    }

    public mutating func fill(row: Int, column: Int, width fillWidth: Int, style: CellStyle) {
        guard row >= 0 && row < height else { return }
        let start = max(column, 0)
        let end = min(column + fillWidth, width)
        guard start < end else { return }
        for c in start..<end {
            place(" ", width: 1, style: style, row: row, column: c)
        }
    }

    public mutating func fillRect(row: Int, column: Int, width fillWidth: Int, height fillHeight: Int, style: CellStyle) {
        guard fillHeight > 0 else { return }
        for r in row..<(row + fillHeight) {
            fill(row: r, column: column, width: fillWidth, style: style)
        }
    }

    /// Every row as text (continuation cells skipped), trailing spaces trimmed.
    public func textLines() -> [String] {
        (0..<height).map { row($0) }
    }

    /// One row as text, continuation cells skipped, trailing spaces trimmed (like `textLines()`).
    public func row(_ r: Int) -> String {
        guard r >= 0 && r < height else { return "" }
        var text = ""
        for c in 0..<width {
            text += cells[r * width + c].text
        }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// A copy with the given size: clipped on the right and bottom (a wide grapheme cut by the new
    /// right edge becomes blanks) and padded with blank cells.
    public func resized(width newWidth: Int, height newHeight: Int) -> CellGrid {
        if newWidth == width && newHeight == height { return self }
        var copy = CellGrid(width: newWidth, height: newHeight)
        let rows = min(height, copy.height), columns = min(width, copy.width)
        for r in 0..<rows {
            var c = 0
            while c < columns {
                let cell = cells[r * width + c]
                if cell.isContinuation {  // only reachable at column 0 of a damaged row; invariants prevent it
                    c += 1
                    continue
                }
                let w = max(DisplayWidth.of(cell.text), 1)
                if c + w > columns {
                    copy.fill(row: r, column: c, width: columns - c, style: cell.style)
                    break
                }
                copy.place(cell.text, width: w, style: cell.style, row: r, column: c)
                c += w
            }
        }
        return copy
    }

    // MARK: - Invariant keeping

    private func contains(row: Int, column: Int) -> Bool {
        row >= 0 && row < height && column >= 0 && column < width
    }

    /// The grapheme to store for `grapheme`: itself, or U+FFFD if it holds a control character or
    /// anything `wcwidth` rejects (the terminal would act on it or draw garbage).
    static func displayable(_ grapheme: Character) -> Character {
        for scalar in grapheme.unicodeScalars where DisplayWidth.scalarWidth(scalar) < 0 {
            return "\u{FFFD}"
        }
        return grapheme
    }

    /// Stores a grapheme of `w` columns at (row, column), which the caller has checked fits, and
    /// blanks the remains of any wide grapheme it overwrote in part.
    private mutating func place(_ text: String, width w: Int, style: CellStyle, row: Int, column: Int) {
        let base = row * width
        // Overwriting a continuation orphans the head of that wide grapheme: blank it.
        if cells[base + column].isContinuation {
            var c = column - 1
            while c >= 0 {
                let wasHead = !cells[base + c].isContinuation
                cells[base + c].text = " "
                if wasHead { break }
                c -= 1
            }
        }
        cells[base + column] = Cell(text: text, style: style)
        for c in (column + 1)..<(column + w) {
            cells[base + c] = Cell(text: "", style: style)
        }
        // Continuations right of the new grapheme belonged to something now overwritten.
        var c = column + w
        while c < width && cells[base + c].isContinuation {
            cells[base + c].text = " "
            c += 1
        }
    }
}
