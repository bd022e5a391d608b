import Testing
import Terminal

@Suite struct CellGridTests {
    let bold = CellStyle(foreground: .indexed(1), attributes: [.bold])

    /// Every cell of `grid`, for invariant checks.
    func allCells(_ grid: CellGrid) -> [Cell] {
        (0..<grid.height).flatMap { r in (0..<grid.width).map { c in grid[r, c] } }
    }

    @Test func newGridIsBlank() {
        let grid = CellGrid(width: 4, height: 2)
        #expect(grid.textLines() == ["", ""])
        #expect(allCells(grid).allSatisfy { $0 == Cell.blank })
    }

    @Test func putClipsAtTheGridEdge() {
        var grid = CellGrid(width: 3, height: 1)
        #expect(grid.put("hello", row: 0, column: 0, style: .plain) == 3)
        #expect(grid.row(0) == "hel")
    }

    @Test func putClipsAtMaxWidth() {
        var grid = CellGrid(width: 10, height: 1)
        #expect(grid.put("hello", row: 0, column: 1, style: .plain, maxWidth: 2) == 2)
        #expect(grid.row(0) == " he")
        #expect(grid.put("xyz", row: 0, column: 5, style: .plain, maxWidth: 0) == 0)
        #expect(grid.row(0) == " he")
    }

    @Test func putOutsideTheGridWritesNothing() {
        var grid = CellGrid(width: 3, height: 2)
        #expect(grid.put("abc", row: 2, column: 0, style: .plain) == 0)
        #expect(grid.put("abc", row: -1, column: 0, style: .plain) == 0)
        #expect(grid.put("abc", row: 0, column: 3, style: .plain) == 0)
        #expect(grid.textLines() == ["", ""])
    }

    @Test func putLeftOfTheGridShowsTheVisiblePart() {
        var grid = CellGrid(width: 5, height: 1)
        #expect(grid.put("abc", row: 0, column: -1, style: .plain) == 3)
        #expect(grid.row(0) == "bc")
        // Half of a wide character off the left edge shows as a blank.
        var wide = CellGrid(width: 5, height: 1)
        wide.put("中x", row: 0, column: -1, style: .plain)
        #expect(wide[0, 0].text == " ")
        #expect(wide[0, 1].text == "x")
    }

    @Test func wideCharactersUseContinuationCells() {
        var grid = CellGrid(width: 6, height: 1)
        #expect(grid.put("中文a", row: 0, column: 0, style: bold) == 5)
        #expect(grid[0, 0] == Cell(text: "中", style: bold))
        #expect(grid[0, 1].isContinuation)
        #expect(grid[0, 1].style == bold)
        #expect(grid[0, 2].text == "文")
        #expect(grid[0, 3].isContinuation)
        #expect(grid[0, 4].text == "a")
        #expect(grid.row(0) == "中文a")
    }

    @Test func combiningSequenceStaysInOneCell() {
        var grid = CellGrid(width: 4, height: 1)
        #expect(grid.put("e\u{301}x", row: 0, column: 0, style: .plain) == 2)
        #expect(grid[0, 0].text == "e\u{301}")
        #expect(grid[0, 1].text == "x")
    }

    @Test func wideCharacterStraddlingTheEdgeBecomesASpace() {
        var grid = CellGrid(width: 4, height: 1)
        grid.put("xxxx", row: 0, column: 0, style: .plain)
        #expect(grid.put("a中文", row: 0, column: 0, style: bold) == 4)
        #expect(grid[0, 3] == Cell(text: " ", style: bold))
        #expect(grid.row(0) == "a中")

        var clipped = CellGrid(width: 10, height: 1)
        #expect(clipped.put("中文", row: 0, column: 0, style: .plain, maxWidth: 3) == 3)
        #expect(clipped.row(0) == "中")
        #expect(clipped[0, 2].text == " ")
    }

    @Test(arguments: ["\u{1B}", "\u{7}", "\u{9B}", "\u{7F}", "\u{0}", "\r\n", "\t", "\u{85}"])
    func controlCharactersBecomeReplacementCharacters(_ control: String) {
        var grid = CellGrid(width: 8, height: 1)
        let used = grid.put("a\(control)b", row: 0, column: 0, style: .plain)
        #expect(used == 3)
        #expect(grid.row(0) == "a\u{FFFD}b")
    }

    @Test func noCellEverHoldsAControlCharacter() {
        var grid = CellGrid(width: 30, height: 3)
        let hostile = "\u{1B}]52;c;ZXZpbA==\u{7}x\u{9B}31m\u{9D}0;title\u{9C}\u{7F}\u{8}\r\n\t\u{1B}[2J"
        grid.put(hostile, row: 0, column: 0, style: .plain)
        grid[1, 0] = Cell(text: "\u{1B}")
        grid[1, 1] = Cell(text: "\u{9B}[")
        grid.put("e\u{301}\u{1B}", row: 2, column: 0, style: .plain)
        for cell in allCells(grid) {
            for scalar in cell.text.unicodeScalars {
                #expect(scalar.value >= 0x20 && !(0x7F...0x9F).contains(scalar.value), "U+\(String(scalar.value, radix: 16))")
            }
        }
        #expect(grid[1, 0].text == "\u{FFFD}")
        #expect(grid[1, 1].text == "\u{FFFD}")
    }

    @Test func zeroWidthGraphemesAreSkipped() {
        var grid = CellGrid(width: 5, height: 1)
        #expect(grid.put("\u{200B}a\u{301}", row: 0, column: 0, style: .plain) == 1)
        #expect(grid[0, 0].text == "a\u{301}")
    }

    @Test func overwritingHalfOfAWideCharacterBlanksTheRest() {
        var grid = CellGrid(width: 4, height: 1)
        grid.put("中文", row: 0, column: 0, style: .plain)
        grid.put("x", row: 0, column: 1, style: .plain)
        #expect(grid[0, 0].text == " ")
        #expect(grid[0, 1].text == "x")
        #expect(grid.row(0) == " x文")

        grid.put("y", row: 0, column: 2, style: .plain)
        #expect(grid[0, 3].text == " ")
        #expect(grid.row(0) == " xy")
    }

    @Test func subscriptKeepsTheInvariants() {
        var grid = CellGrid(width: 3, height: 1)
        grid[0, 0] = Cell(text: "中", style: bold)
        #expect(grid[0, 1].isContinuation)
        grid[0, 2] = Cell(text: "文")  // would straddle the edge
        #expect(grid[0, 2].text == " ")
        grid[0, 1] = Cell(text: "")  // restyling a continuation keeps it
        #expect(grid[0, 1].isContinuation)
        grid[0, 2] = Cell(text: "")  // a lone continuation cannot be written
        #expect(grid[0, 2].text == " ")
        grid[0, 0] = Cell(text: "ab")  // one grapheme per cell
        #expect(grid.row(0) == "a")
        #expect(grid[5, 5] == Cell.blank)
        grid[5, 5] = Cell(text: "z")  // ignored
        #expect(grid.row(0) == "a")
    }

    @Test func fillAndFillRectWriteStyledSpaces() {
        var grid = CellGrid(width: 5, height: 3)
        grid.put("abcde", row: 1, column: 0, style: .plain)
        grid.fill(row: 1, column: 1, width: 2, style: bold)
        #expect(grid.row(1) == "a  de")
        #expect(grid[1, 1].style == bold && grid[1, 2].style == bold && grid[1, 3].style == .plain)

        let selected = CellStyle(attributes: [.reverse])
        grid.fillRect(row: 1, column: 3, width: 10, height: 10, style: selected)
        #expect(grid.row(1) == "a")
        #expect((3..<5).allSatisfy { grid[2, $0].style == selected })
        #expect(grid[0, 3].style == .plain)
        #expect(grid[2, 2].style == .plain)
    }

    @Test func textLinesTrimTrailingSpacesAndSkipContinuations() {
        var grid = CellGrid(width: 8, height: 3)
        grid.put("ab  ", row: 0, column: 0, style: .plain)
        grid.put("中 x", row: 1, column: 2, style: .plain)
        #expect(grid.textLines() == ["ab", "  中 x", ""])
        #expect(grid.row(1) == "  中 x")
        #expect(grid.row(7) == "")
    }

    @Test func resizedClipsWideCharactersAndPads() {
        var grid = CellGrid(width: 4, height: 2)
        grid.put("a中b", row: 0, column: 0, style: bold)
        grid.put("zz", row: 1, column: 0, style: .plain)
        let narrow = grid.resized(width: 2, height: 1)
        #expect(narrow.textLines() == ["a"])
        #expect(narrow[0, 1] == Cell(text: " ", style: bold))
        let wide = grid.resized(width: 6, height: 3)
        #expect(wide.textLines() == ["a中b", "zz", ""])
        #expect(wide[0, 1].text == "中" && wide[0, 2].isContinuation)
    }
}
