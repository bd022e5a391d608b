import Foundation
import Glibc
import Testing

// Tests of the end-to-end harness itself: the VT emulator against hand-written escape
// sequences, and the pty runner against real programs (sh, stty, tput, clear, watch).

@Suite("Harness")
struct HarnessTests {
    @Suite("VirtualScreen")
    struct VirtualScreenTests {
        private func screen(_ width: Int, _ height: Int, _ input: String) -> VirtualScreen {
            var screen = VirtualScreen(width: width, height: height)
            screen.feed(input)
            return screen
        }

        /// Rows labelled "r0", "r1", … written with absolute cursor addressing.
        private func labelledRows(_ width: Int, _ height: Int) -> VirtualScreen {
            screen(width, height, (0..<height).map { "\u{1B}[\($0 + 1);1Hr\($0)" }.joined())
        }

        @Test func absoluteAddressingPlacesTextAndClampsToTheScreen() {
            let s = screen(20, 5, "\u{1B}[2;3Hab\u{1B}[5;20Hz\u{1B}[Hq\u{1B}[3G\u{1B}[Bc\u{1B}[99;99H")
            #expect(s.lines == ["q", "  cb", "", "", String(repeating: " ", count: 19) + "z"])
            #expect(s.cursor == ScreenPosition(row: 4, col: 19))
        }

        @Test func relativeMovesStopAtTheEdges() {
            var s = VirtualScreen(width: 20, height: 5)
            s.feed("\u{1B}[3;3H\u{1B}[2A")
            #expect(s.cursor == ScreenPosition(row: 0, col: 2))
            s.feed("\u{1B}[9A\u{1B}[5C")
            #expect(s.cursor == ScreenPosition(row: 0, col: 7))
            s.feed("\u{1B}[2D\u{1B}[E")
            #expect(s.cursor == ScreenPosition(row: 1, col: 0))
            s.feed("\u{1B}[4d\u{1B}[6`")
            #expect(s.cursor == ScreenPosition(row: 3, col: 5))
            s.feed("\u{1B}[F\u{1B}[99C")
            #expect(s.cursor == ScreenPosition(row: 2, col: 19))
            s.feed("\u{1B}[99D\u{1B}[99B")
            #expect(s.cursor == ScreenPosition(row: 4, col: 0))
            s.feed("x\u{8}\u{8}\ty\r")
            #expect(s.lines[4] == "x       y")
            #expect(s.cursor == ScreenPosition(row: 4, col: 0))
        }

        @Test func writingTheLastColumnDefersTheWrapUntilTheNextCharacter() {
            var s = VirtualScreen(width: 5, height: 3)
            s.feed("abcde")
            #expect(s.lines == ["abcde", "", ""])
            #expect(s.cursor == ScreenPosition(row: 0, col: 4))
            s.feed("f")
            #expect(s.lines == ["abcde", "f", ""])

            var crlf = VirtualScreen(width: 5, height: 3)
            crlf.feed("abcde\r\nx")
            #expect(crlf.lines == ["abcde", "x", ""], "CR LF after a full line must not leave a blank line")

            var noWrap = VirtualScreen(width: 5, height: 3)
            noWrap.feed("\u{1B}[?7l12345678")
            #expect(noWrap.lines == ["12348", "", ""])
            #expect(!noWrap.modes.autowrap)
        }

        @Test func autowrapScrollsAtTheBottom() {
            let s = screen(3, 2, "abcdefgh")
            #expect(s.lines == ["def", "gh"])
        }

        @Test func eraseInLineAndCharacters() {
            let row = "abcdefghij"
            let s = screen(10, 3, "\(row)\r\n\(row)\r\n\(row)\u{1B}[2;5H\u{1B}[K\u{1B}[1;4H\u{1B}[1K\u{1B}[3;3H\u{1B}[3X")
            #expect(s.lines == ["    efghij", "abcd", "ab   fghij"])
            let whole = screen(10, 1, "\(row)\u{1B}[1;5H\u{1B}[2K")
            #expect(whole.lines == [""])
        }

        @Test func eraseInDisplay() {
            let rows = Array(repeating: "abcdefghij", count: 3).joined(separator: "\r\n")
            #expect(screen(10, 3, rows + "\u{1B}[2;6H\u{1B}[J").lines == ["abcdefghij", "abcde", ""])
            #expect(screen(10, 3, rows + "\u{1B}[2;6H\u{1B}[1J").lines == ["", "      ghij", "abcdefghij"])
            let cleared = screen(10, 3, rows + "\u{1B}[2;6H\u{1B}[2J")
            #expect(cleared.lines == ["", "", ""])
            #expect(cleared.cursor == ScreenPosition(row: 1, col: 5), "ED does not move the cursor")
        }

        @Test func erasingUsesTheCurrentBackgroundColour() throws {
            let s = screen(4, 2, "\u{1B}[1;44m\u{1B}[2J\u{1B}[41m\u{1B}[2;3H\u{1B}[K")
            let erased = try #require(s.cell(row: 0, col: 0))
            #expect(erased.isBlank)
            #expect(erased.attributes == CellAttributes(background: .indexed(4)), "bce keeps only the background")
            #expect(s.cell(row: 1, col: 1)?.attributes.background == .indexed(4))
            #expect(s.cell(row: 1, col: 2)?.attributes.background == .indexed(1))
        }

        @Test func insertAndDeleteCharacters() {
            var s = screen(10, 1, "abcdefghij\u{1B}[1;3H\u{1B}[2@")
            #expect(s.lines == ["ab  cdefgh"])
            s.feed("\u{1B}[1;2H\u{1B}[3P")
            #expect(s.lines == ["acdefgh"])
            s.feed("\u{1B}[4h\u{1B}[1;2HXY\u{1B}[4l")
            #expect(s.lines == ["aXYcdefgh"], "insert mode shifts the rest of the line")
        }

        @Test func insertAndDeleteLinesStayInsideTheScrollingRegion() {
            var s = labelledRows(10, 6)
            s.feed("\u{1B}[2;5r")
            #expect(s.cursor == ScreenPosition(row: 0, col: 0), "DECSTBM homes the cursor")
            s.feed("\u{1B}[3;4H\u{1B}[L")
            #expect(s.lines == ["r0", "r1", "", "r2", "r3", "r5"])
            #expect(s.cursor == ScreenPosition(row: 2, col: 0))
            s.feed("\u{1B}[2;1H\u{1B}[2M")
            #expect(s.lines == ["r0", "r2", "r3", "", "", "r5"])
            s.feed("\u{1B}[6;1H\u{1B}[L\u{1B}[1;1H\u{1B}[M")
            #expect(s.lines == ["r0", "r2", "r3", "", "", "r5"], "IL/DL outside the region do nothing")
        }

        @Test func indexAndReverseIndexScrollOnlyTheRegion() {
            var s = labelledRows(10, 5)
            s.feed("\u{1B}[2;4r\u{1B}[4;1H\n")
            #expect(s.lines == ["r0", "r2", "r3", "", "r4"])
            s.feed("\u{1B}D")
            #expect(s.lines == ["r0", "r3", "", "", "r4"])
            s.feed("\u{1B}[2;1H\u{1B}M")
            #expect(s.lines == ["r0", "", "r3", "", "r4"])
            s.feed("\u{1B}[5;1H\n\u{1B}E")
            #expect(s.lines == ["r0", "", "r3", "", "r4"], "below the region, LF at the last row does not scroll")
            #expect(s.cursor == ScreenPosition(row: 4, col: 0))
            s.feed("\u{1B}[r\u{1B}[5;1H\n")
            #expect(s.lines == ["", "r3", "", "r4", ""], "after resetting the region the whole screen scrolls")
        }

        @Test func scrollUpAndDownMoveTheRegionOnly() {
            var s = labelledRows(10, 5)
            s.feed("\u{1B}[2;4r\u{1B}[2S")
            #expect(s.lines == ["r0", "r3", "", "", "r4"])
            s.feed("\u{1B}[T")
            #expect(s.lines == ["r0", "", "r3", "", "r4"])
        }

        @Test func wideCharactersTakeTwoCells() throws {
            var s = screen(6, 2, "中a")
            #expect(s.lines[0] == "中a")
            let lead = try #require(s.cell(row: 0, col: 0))
            #expect(lead.text == "中" && lead.width == 2)
            #expect(s.cell(row: 0, col: 1)?.isWideContinuation == true)
            #expect(s.cell(row: 0, col: 2)?.text == "a")
            #expect(s.cursor.col == 3)
            #expect(s.find("a") == ScreenPosition(row: 0, col: 2))

            s.feed("\u{1B}[1;2Hx")
            #expect(s.lines[0] == " xa", "overwriting half of a wide character erases the other half")

            let wrapped = screen(5, 2, "abcd中")
            #expect(wrapped.lines == ["abcd", "中"], "a wide character never straddles the margin")
            #expect(wrapped.cursor == ScreenPosition(row: 1, col: 2))
        }

        @Test func combiningMarksJoinThePreviousCell() {
            let s = screen(6, 1, "e\u{301}x中\u{308}")
            #expect(s.cell(row: 0, col: 0)?.text.unicodeScalars.map(\.value) == [0x65, 0x301])
            #expect(s.cell(row: 0, col: 1)?.text == "x")
            #expect(s.cell(row: 0, col: 2)?.text.unicodeScalars.count == 2)
            #expect(s.cursor.col == 4)
        }

        @Test func utf8SplitAcrossReadsIsReassembled() {
            let bytes = Array("é中😀\u{1B}[1mB".utf8)
            var s = VirtualScreen(width: 10, height: 1)
            for byte in bytes { s.feed([byte]) }
            #expect(s.lines == ["é中😀B"])
            #expect(s.cell(row: 0, col: 5)?.attributes.bold == true)
            #expect(s.cursor.col == 6)

            var invalid = VirtualScreen(width: 10, height: 1)
            invalid.feed([0x61, 0xFF, 0xE4, 0xB8, 0x62])
            #expect(invalid.lines == ["a\u{FFFD}\u{FFFD}b"])
        }

        @Test func graphicRenditionAttributesAndColours() throws {
            let s = screen(20, 1, """
                \u{1B}[1;4;7mA\u{1B}[22;24mB\u{1B}[0;2;3mC\u{1B}[m\u{1B}[31;102mD\
                \u{1B}[38;5;196;48;5;21mE\u{1B}[38;2;1;2;3mF\u{1B}[38:2::10:20:30;48:5:240mG\
                \u{1B}[39;49mH\u{1B}[95;4:0mI\u{1B}[4:3mJ
                """)
            func attributes(_ col: Int) throws -> CellAttributes { try #require(s.cell(row: 0, col: col)).attributes }
            #expect(s.lines == ["ABCDEFGHIJ"])
            #expect(try attributes(0) == CellAttributes(bold: true, underline: true, reverse: true))
            #expect(try attributes(1) == CellAttributes(reverse: true))
            #expect(try attributes(2) == CellAttributes(dim: true, italic: true))
            #expect(try attributes(3) == CellAttributes(foreground: .indexed(1), background: .indexed(10)))
            #expect(try attributes(4) == CellAttributes(foreground: .indexed(196), background: .indexed(21)))
            #expect(try attributes(5) == CellAttributes(foreground: .rgb(1, 2, 3), background: .indexed(21)))
            #expect(try attributes(6) == CellAttributes(foreground: .rgb(10, 20, 30), background: .indexed(240)))
            #expect(try attributes(7) == CellAttributes())
            #expect(try attributes(8) == CellAttributes(foreground: .indexed(13)))
            #expect(try attributes(9) == CellAttributes(underline: true, foreground: .indexed(13)))
        }

        @Test func alternateScreenKeepsTheMainScreenAndCursor() {
            var s = screen(10, 3, "main\u{1B}[2;3H")
            s.feed("\u{1B}[?1049h")
            #expect(s.isAlternateScreen)
            #expect(s.lines == ["", "", ""])
            s.feed("\u{1B}[Halt")
            #expect(s.lines[0] == "alt")
            s.feed("\u{1B}[?1049l")
            #expect(!s.isAlternateScreen)
            #expect(s.lines == ["main", "", ""])
            #expect(s.cursor == ScreenPosition(row: 1, col: 2))
            s.feed("\u{1B}[?1049h")
            #expect(s.lines == ["", "", ""], "entering again starts from a cleared alternate screen")
        }

        @Test func saveAndRestoreCursorIncludesAttributes() {
            let s = screen(10, 2, "\u{1B}[2;4H\u{1B}[1m\u{1B}7\u{1B}[H\u{1B}[0mx\u{1B}8y")
            #expect(s.lines == ["x", "   y"])
            #expect(s.cell(row: 1, col: 3)?.attributes.bold == true)
            #expect(s.cell(row: 0, col: 0)?.attributes.bold == false)
        }

        @Test func oscAndOtherControlStringsAreConsumedAndRecorded() {
            var s = VirtualScreen(width: 20, height: 1)
            s.feed("\u{1B}]0;title\u{7}x\u{1B}]8;;http://a\u{1B}\\link\u{1B}]8;;\u{1B}\\")
            s.feed("\u{1B}]2;ab")
            s.feed("c\u{7}\u{1B}P+q544e\u{1B}\\\u{1B}_apc\u{1B}\\!")
            #expect(s.lines == ["xlink!"])
            #expect(s.oscSequences == ["0;title", "8;;http://a", "8;;", "2;abc"])
            #expect(s.controlStringCount == 2)
        }

        @Test func repeatRepeatsTheLastGraphicCharacter() {
            #expect(screen(10, 1, "a\u{1B}[4b").lines == ["aaaaa"])
            #expect(screen(10, 1, "中\u{1B}[2b").lines == ["中中中"])
            #expect(screen(10, 2, "xy\u{1B}[12b").lines == ["xyyyyyyyyy", "yyyy"], "repeats wrap like typed text")
        }

        @Test func statusAndAttributeQueriesAreAnswered() {
            var s = VirtualScreen(width: 10, height: 5)
            #expect(s.feed("\u{1B}[3;7H\u{1B}[6n") == Array("\u{1B}[3;7R".utf8))
            #expect(s.feed("\u{1B}[c") == Array("\u{1B}[?6c".utf8))
            #expect(s.feed("\u{1B}[5n") == Array("\u{1B}[0n".utf8))
            #expect(s.feed("\u{1B}[8;30;100t\u{1B}[>4;1m").isEmpty)
        }

        @Test func decLineDrawingMapsToBoxCharacters() {
            #expect(screen(10, 1, "\u{1B}(0lqk\u{1B}(Bq").lines == ["┌─┐q"])
            #expect(screen(10, 1, "\u{1B})0x\u{E}x\u{F}x").lines == ["x│x"], "SO/SI switch to and from G1")
        }

        @Test func modesAreTracked() {
            var s = VirtualScreen(width: 10, height: 2)
            #expect(s.modes.cursorVisible && !s.modes.applicationCursorKeys && !s.modes.bracketedPaste)
            s.feed("\u{1B}[?1h\u{1B}[?2004h\u{1B}[?25l\u{1B}[?1000;1006h\u{1B}=")
            #expect(s.modes.applicationCursorKeys && s.modes.bracketedPaste && !s.modes.cursorVisible)
            #expect(s.modes.mouseReporting && s.modes.privateModes.contains(1006) && s.modes.applicationKeypad)
            s.feed("\u{1B}[?1l\u{1B}[?2004l\u{1B}[?25h\u{1B}[?1000l\u{1B}>")
            #expect(!s.modes.applicationCursorKeys && !s.modes.bracketedPaste && s.modes.cursorVisible)
            #expect(!s.modes.mouseReporting && !s.modes.applicationKeypad)
        }

        @Test func resizeKeepsTheCursorRowOnScreen() {
            var s = labelledRows(10, 4)
            #expect(s.cursor == ScreenPosition(row: 3, col: 2))
            s.resize(width: 6, height: 2)
            #expect(s.lines == ["r2", "r3"])
            #expect(s.cursor == ScreenPosition(row: 1, col: 2))
            s.resize(width: 8, height: 4)
            #expect(s.lines == ["r2", "r3", "", ""])
            s.feed("\u{1B}[4;8Hz")
            #expect(s.lines[3] == "       z")
        }

        @Test func findReportsCellColumns() {
            let s = screen(12, 2, "\r\n中文 Inbox")
            #expect(s.find("Inbox") == ScreenPosition(row: 1, col: 5))
            #expect(s.find("文 I") == ScreenPosition(row: 1, col: 2))
            #expect(s.find("Outbox") == nil)
            #expect(s.contains("Inbox"))
        }

        @Test func arbitraryBytesNeverBreakTheScreenAndResetRecovers() {
            // A fixed-seed generator biased towards escape-sequence bytes, so that truncated and
            // nonsensical sequences of every kind are exercised.
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            func next() -> UInt64 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return state >> 33
            }
            let alphabet: [UInt8] = Array("\u{1B}[]P_^?;:0123456789;mHJKLMPr@bhlcn()#78DEM\u{7}\u{8}\n\r\t\\x".utf8)
                + [0x18, 0xC3, 0xA9, 0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0x0E, 0x0F]
            var s = VirtualScreen(width: 13, height: 7)
            for round in 0..<2_000 {
                let chunk = (0..<Int(next() % 64)).map { _ in
                    next() % 4 == 0 ? UInt8(truncatingIfNeeded: next()) : alphabet[Int(next() % UInt64(alphabet.count))]
                }
                s.feed(chunk)
                if round % 500 == 0 { s.resize(width: 5 + Int(next() % 20), height: 2 + Int(next() % 10)) }
                #expect(s.lines.count == s.height)
                #expect(s.cursor.row >= 0 && s.cursor.row < s.height && s.cursor.col >= 0 && s.cursor.col < s.width)
            }
            for row in 0..<s.height {
                #expect(s.cell(row: row, col: s.width - 1) != nil && s.cell(row: row, col: s.width) == nil)
            }
            s.feed("\u{1B}c")
            s.feed("ok")
            #expect(s.lines.first == "ok")
            #expect(s.lines.dropFirst().allSatisfy { $0.isEmpty })
        }
    }

    @Suite("PTYProcess")
    struct PTYProcessTests {
        private func sh(_ script: String, width: Int = 80, height: Int = 24, environment: [String: String] = [:]) throws -> PTYProcess {
            try PTYProcess(executable: "/bin/sh", arguments: ["-c", script], environment: environment, width: width, height: height)
        }

        @Test func outputLandsOnTheScreen() async throws {
            let process = try sh(#"printf 'hello\033[3;5Hworld'"#)
            #expect(try await process.waitForExit() == 0)
            #expect(process.screen.lines[0] == "hello")
            #expect(process.screen.lines[2] == "    world")
            #expect(process.transcriptText == "hello\u{1B}[3;5Hworld")
        }

        @Test func theProgramSeesTheWindowSizeEnvironmentAndControllingTerminal() async throws {
            let process = try sh(
                #"""
                stty -a | head -n 1
                echo "env:$TERM $LANG $TZ $EXTRA ${COLUMNS:-nocolumns}"
                : < /dev/tty && echo ctty-ok
                read -r _ _ _ _ _ sid _ < /proc/$$/stat; [ "$sid" = "$$" ] && echo session-leader
                """#,
                width: 100, height: 30, environment: ["EXTRA": "extra"])
            #expect(try await process.waitForExit() == 0)
            let text = process.screen.text
            #expect(text.contains("rows 30; columns 100"), "\(process.screen.dump)")
            #expect(process.screen.lines.contains("env:xterm-256color C.UTF-8 UTC extra nocolumns"))
            #expect(process.screen.lines.contains("ctty-ok"))
            #expect(process.screen.lines.contains("session-leader"))
        }

        @Test func typedInputIsEchoedAndRead() async throws {
            let process = try sh(#"printf 'name? '; read -r x; echo "got:$x""#)
            try await process.waitFor(description: "the prompt") { $0.lines[0] == "name?" }
            try process.send("abc")
            try process.send(keys: .enter)
            try await process.waitFor(description: "the echo of the line read") { $0.lines[1] == "got:abc" }
            #expect(process.screen.lines[0] == "name? abc")
            #expect(try await process.waitForExit() == 0)
        }

        @Test func resizeReachesTheProgram() async throws {
            let process = try sh(#"trap 'stty size' WINCH; echo ready; while :; do sleep 0.05; done"#)
            try await process.waitFor(description: "the trap to be installed") { $0.contains("ready") }
            try process.resize(width: 100, height: 30)
            #expect(process.screen.width == 100 && process.screen.height == 30)
            try await process.waitFor(description: "stty size to report the new size") { $0.contains("30 100") }
            process.terminate()
            #expect(!process.isRunning)
            #expect(process.exitStatus == .signaled(SIGTERM))
        }

        @Test func tputScrollingRegionAndLineSequencesLandInTheRightCells() async throws {
            let process = try sh(
                #"""
                tput clear
                i=0; while [ $i -lt 8 ]; do tput cup $i 0; printf "line$i"; i=$((i+1)); done
                tput csr 2 5; tput cup 5 0; printf '\n'
                tput cup 2 0; tput ri
                tput csr 0 9; tput cup 1 0; tput il1
                tput cup 9 0; printf end
                """#,
                width: 20, height: 10)
            #expect(try await process.waitForExit() == 0)
            // Region 2…5: LF on its bottom row scrolls line2 out, RI on its top row brings a blank
            // in; then IL at row 1 pushes everything below down by one.
            #expect(process.screen.lines == ["line0", "", "line1", "", "line3", "line4", "line5", "line6", "line7", "end"])
        }

        @Test func tputColoursAndAttributesAreVisibleInCells() async throws {
            let process = try sh(
                #"tput setaf 196; printf R; tput sgr0; tput bold; printf B; tput sgr0; tput rev; printf V; tput sgr0; tput setab 4; tput el; tput sgr0; printf N"#,
                width: 10, height: 2)
            #expect(try await process.waitForExit() == 0)
            let screen = process.screen
            #expect(screen.lines[0] == "RBVN")
            #expect(screen.cell(row: 0, col: 0)?.attributes == CellAttributes(foreground: .indexed(196)))
            #expect(screen.cell(row: 0, col: 1)?.attributes == CellAttributes(bold: true))
            #expect(screen.cell(row: 0, col: 2)?.attributes == CellAttributes(reverse: true))
            #expect(screen.cell(row: 0, col: 3)?.attributes == CellAttributes())
            #expect(screen.cell(row: 0, col: 9)?.attributes.background == .indexed(4), "el with a background colour")
        }

        @Test func alternateScreenIsLeftOnExit() async throws {
            let process = try sh(#"printf before; tput smcup; printf inside; read -r x; tput rmcup"#)
            try await process.waitFor(description: "the alternate screen") { $0.isAlternateScreen && $0.contains("inside") }
            #expect(!process.screen.contains("before"))
            try process.send(keys: .enter)
            #expect(try await process.waitForExit() == 0)
            #expect(!process.screen.isAlternateScreen)
            #expect(process.screen.lines[0] == "before")
            let transcript = process.transcriptText
            let lastSwitch = try #require(transcript.range(of: "\u{1B}[?1049", options: .backwards))
            #expect(transcript[lastSwitch.upperBound...].hasPrefix("l"))
        }

        @Test func clearEmptiesTheScreen() async throws {
            let process = try sh("printf 'junk\\njunk'; clear; printf clean", width: 20, height: 4)
            #expect(try await process.waitForExit() == 0)
            #expect(process.screen.lines == ["clean", "", "", ""])
        }

        @Test func cursorPositionAndDeviceAttributeQueriesAreAnswered() async throws {
            let process = try sh(
                #"""
                stty raw -echo
                printf '\033[3;7H\033[6n'; pos=$(dd bs=1 count=6 2>/dev/null)
                printf '\033[c'; da=$(dd bs=1 count=5 2>/dev/null)
                stty sane
                printf '\033[5;1H'; printf '%s|%s\n' "$pos" "$da" | tr '\033' E
                """#,
                width: 20, height: 6)
            #expect(try await process.waitForExit() == 0)
            #expect(process.screen.lines[4] == "E[3;7R|E[?6c")
        }

        @Test func arrowKeysFollowApplicationCursorMode() async throws {
            let process = try sh(
                #"""
                stty raw -echo
                printf '\033[?1hA>'; a=$(dd bs=1 count=3 2>/dev/null)
                printf '\033[?1lN>'; b=$(dd bs=1 count=3 2>/dev/null)
                stty sane
                printf '\n%s|%s\n' "$a" "$b" | tr '\033' E
                """#)
            try await process.waitFor(description: "application cursor mode") { $0.modes.applicationCursorKeys && $0.contains("A>") }
            try process.send(keys: .down)
            try await process.waitFor(description: "normal cursor mode") { !$0.modes.applicationCursorKeys && $0.contains("N>") }
            try process.send(keys: .down)
            #expect(try await process.waitForExit() == 0)
            #expect(process.screen.contains("EOB|E[B"), "\(process.screen.dump)")
        }

        @Test func exitStatusesAndSignalsAreReported() async throws {
            let exits = try sh("exit 3")
            #expect(try await exits.waitForExit() == 3)
            #expect(exits.exitStatus == .exited(3))
            let killed = try sh("kill -KILL $$")
            #expect(try await killed.waitForExit() == 128 + SIGKILL)
            #expect(killed.exitStatus == .signaled(SIGKILL))
        }

        @Test func terminalAttributesAreReadAsTheProgramLeftThem() async throws {
            let running = try sh("read -r x")
            #expect(try running.lineDiscipline().isCooked, "a new pty starts cooked")
            running.terminate()

            let raw = try sh("stty raw -echo")
            #expect(try await raw.waitForExit() == 0)
            let left = try raw.lineDiscipline()
            #expect(!left.canonical && !left.echo && !left.signals)

            let restored = try sh("stty raw -echo; stty sane")
            #expect(try await restored.waitForExit() == 0)
            #expect(try restored.lineDiscipline().isCooked)
        }

        @Test func waitingReportsTheDescriptionAndScreenOnTimeoutAndOnExit() async throws {
            let waiting = try sh("echo hello; cat")
            let timeout = await #expect(throws: PTYError.self) {
                try await waiting.waitFor(timeout: .milliseconds(300), description: "a screen that never appears") { $0.contains("never") }
            }
            #expect(timeout?.description.contains("a screen that never appears") == true)
            #expect(timeout?.description.contains(" 0 |hello") == true, "the dump shows the screen")
            #expect(waiting.isRunning)

            let exiting = try sh("echo bye")
            let early = await #expect(throws: PTYError.self) {
                try await exiting.waitFor(description: "something else") { $0.contains("never") }
            }
            #expect(early?.description.contains("exited with status 0") == true)
        }

        @Test func blockingWaitWorksOutsideAsyncCode() throws {
            let process = try sh("printf 'sync'")
            try process.waitFor(description: "output") { $0.lines[0] == "sync" }
            #expect(try process.waitForExit() == 0)
        }

        @Test func builtExecutablesAreLocatedOrExplained() throws {
            let otter = try otterExecutableURL()
            #expect(otter.lastPathComponent == "otter")
            #expect(FileManager.default.isExecutableFile(atPath: otter.path))
            let missing = #expect(throws: PTYError.self) { try builtExecutableURL(named: "no-such-product") }
            #expect(missing?.description.contains("no-such-product executable was not found") == true)
        }

        @Test func curses_watchScrollsRedrawsOnResizeAndRestoresTheTerminal() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("otter-harness-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let list = directory.appendingPathComponent("list.txt")
            // Replaced atomically so watch never reads a half-written file.
            func show(_ items: ClosedRange<Int>) throws {
                try items.map { "item \($0)\n" }.joined().write(to: list, atomically: true, encoding: .utf8)
            }
            func expectedLines(_ items: ClosedRange<Int>) -> [String] { items.map { "item \($0)" } }

            try show(1...15)
            let process = try PTYProcess(executable: "watch", arguments: ["-t", "-n", "0.1", "cat", list.path], width: 30, height: 12)
            try await process.waitFor(description: "the first screen") { $0.lines == expectedLines(1...12) }
            #expect(process.screen.isAlternateScreen)

            var mark = process.transcript.count
            try show(2...16)
            try await process.waitFor(description: "the list scrolled up") { $0.lines == expectedLines(2...13) }
            var update = String(decoding: process.transcript[mark...], as: UTF8.self)
            #expect(!update.contains("item 5"), "ncurses should scroll, not repaint; otherwise this test no longer covers scrolling")

            mark = process.transcript.count
            try show(0...14)
            try await process.waitFor(description: "the list scrolled down") { $0.lines == expectedLines(0...11) }
            update = String(decoding: process.transcript[mark...], as: UTF8.self)
            #expect(!update.contains("item 5"), "ncurses should scroll, not repaint")

            try process.resize(width: 20, height: 6)
            try await process.waitFor(description: "the redraw at the new size") { $0.lines == expectedLines(0...5) }

            try process.send(keys: .ctrl("c"))
            _ = try await process.waitForExit()
            #expect(!process.screen.isAlternateScreen)
            #expect(try process.lineDiscipline().isCooked)
            #expect(process.screen.oscSequences.isEmpty)
        }
    }
}
