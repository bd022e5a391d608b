import CNcursesw
import Dispatch
import Foundation

public struct TerminalError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The real screen, drawn with ncursesw.
///
/// Everything runs on the main actor: ncurses is not thread-safe, and on Linux the main queue is
/// the main actor's serial executor. Input arrives through a `DispatchSource` on the main queue
/// that drains `wget_wch` in nodelay mode; signals arrive through dispatch signal sources, so
/// ncurses never sees SIGWINCH and resizes go through `resizeterm`.
@MainActor
public final class TerminalScreen {
    public private(set) var colorCapability: ColorCapability
    /// Set when the locale was not UTF-8 and C.UTF-8 is used instead (show it in a status line).
    public let localeWarning: String?
    /// Set when TERM had no terminfo entry on this host and a fallback entry is used.
    public let terminalWarning: String?
    /// Where the text cursor shows after each render (for a prompt being edited); nil hides it.
    public var cursor: (row: Int, column: Int)?

    private enum State { case active, suspended, restored }

    private static let bracketedPasteOn = "\u{1B}[?2004h"
    private static let bracketedPasteOff = "\u{1B}[?2004l"
    private static let handledSignals: [Int32] = [SIGWINCH, SIGCONT, SIGTERM, SIGHUP, SIGINT, SIGQUIT]
    /// A bound on the style cache; themes use a few dozen styles.
    private static let styleCacheLimit = 1024

    private let window: UnsafeMutablePointer<WINDOW>
    private let hasDefaultColors: Bool
    private var state = State.active
    private var styleCache: [CellStyle: (attributes: attr_t, pair: Int32)] = [:]
    private var previousFrame: CellGrid?
    private var needsFullRepaint = true
    private var cursorShown = false
    private var decoder = KeyDecoder()
    private var onEvent: (@MainActor (TerminalEvent) -> Void)?
    private var inputSource: DispatchSourceRead?
    private var inputSuspended = false
    private var signalSources: [DispatchSourceSignal] = []
    private var drainCount = 0
    private var resizeWhileSuspended = false
    /// Ctrl-C or Ctrl-\ typed in a child program that keeps the tty's signal keys (a pager, a
    /// shell prompt) signal our whole process group, us included. Those are the child's, not a
    /// request to quit: dropped while suspended and shortly after, when the queued events arrive.
    private var keyboardSignalsIgnoredUntil = DispatchTime(uptimeNanoseconds: 0)
    private var lastReportedSize: (width: Int, height: Int)

    /// Sets up curses on the controlling terminal. Throws a `TerminalError` with a message for the
    /// user when stdin/stdout is not a terminal, TERM is unset or `dumb`, or no usable terminfo
    /// entry exists (after trying xterm-256color and xterm in place of an unknown TERM).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw TerminalError("Standard input and output must be a terminal to show the full-screen interface.")
        }
        let term = environment["TERM"] ?? ""
        let shownTerm = String(term.unicodeScalars.filter { $0.isASCII && !DisplayWidth.isControl($0) })
        guard !term.isEmpty else {
            throw TerminalError("TERM is not set; set it to your terminal type, for example TERM=xterm-256color.")
        }
        guard term != "dumb" else {
            throw TerminalError("TERM=dumb cannot show a full-screen interface; use a terminal with cursor movement (for example TERM=xterm-256color).")
        }

        UTF8Locale.ensureConfigured()
        localeWarning = UTF8Locale.warning
        EmergencyRestore.saveTerminalModes()

        // newterm, unlike initscr, reports an unknown terminal instead of exiting the process.
        var warning: String?
        var usedTerm = term
        var screen = nc_newterm(term)
        if screen == nil {
            for fallback in ["xterm-256color", "xterm"] {
                screen = nc_newterm(fallback)
                if screen != nil {
                    usedTerm = fallback
                    warning = "TERM=\(shownTerm) has no terminfo entry on this host; using \(fallback)."
                    break
                }
            }
        }
        guard let screen, let window = nc_stdscr() else {
            throw TerminalError("TERM=\(shownTerm) has no terminfo entry on this host; install it or set TERM=xterm-256color.")
        }
        guard nc_terminfo_string("cup") != nil else {
            endwin()
            delscreen(screen)
            EmergencyRestore.restoreTerminalModes()
            throw TerminalError("TERM=\(usedTerm == term ? shownTerm : usedTerm) cannot move the cursor, which the full-screen interface needs.")
        }
        terminalWarning = warning
        self.window = window

        raw()  // ^C, ^Z, ^S arrive as keys; signals from elsewhere still come through dispatch
        noecho()
        nonl()  // Enter arrives as CR
        keypad(window, true)
        nodelay(window, true)  // wget_wch never blocks; the dispatch source says when to read
        set_escdelay(25)  // a lone Esc waits this long inside wget_wch, so keep it short
        curs_set(0)

        var capability = ColorCapability.none
        var defaults = false
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        if has_colors() && !noColor {
            start_color()
            defaults = use_default_colors() == OK
            _ = use_extended_names(true)
            let hasRGB = tigetflag("RGB") > 0 || tigetnum("RGB") > 0
            capability = ColorCapability.detect(environment: environment, colors: Int(nc_colors()), hasRGB: hasRGB)
        }
        colorCapability = capability
        hasDefaultColors = defaults

        _ = define_key("\u{1B}[200~", CursesKeyCode.pasteBegin)
        _ = define_key("\u{1B}[201~", CursesKeyCode.pasteEnd)

        EmergencyRestore.setResetSequence(Self.resetSequence())
        EmergencyRestore.install()
        EmergencyRestore.setActive(true)

        // Saved so SIGCONT (after an outside stop) can put the curses tty modes back.
        def_prog_mode()
        Self.writeRaw(Self.bracketedPasteOn)
        lastReportedSize = (Int(getmaxx(window)), Int(getmaxy(window)))
        wrefresh(window)  // enter the alternate screen and clear it now, not at the first render
    }

    public var size: (width: Int, height: Int) {
        (Int(getmaxx(window)), Int(getmaxy(window)))
    }

    /// Starts delivering events on the main actor. Call once; later calls are ignored.
    public func start(onEvent: @escaping @MainActor (TerminalEvent) -> Void) {
        guard self.onEvent == nil, state != .restored else { return }
        self.onEvent = onEvent
        for sig in Self.handledSignals {
            // libdispatch requires the default action to be off before it watches a signal.
            nc_ignore_signal(sig)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler { [weak self] in
                MainActor.assumeIsolated { self?.handleSignal(sig) }
            }
            source.resume()
            signalSources.append(source)
        }
        let input = DispatchSource.makeReadSource(fileDescriptor: STDIN_FILENO, queue: .main)
        input.setEventHandler { [weak self] in
            MainActor.assumeIsolated { self?.drainInput() }
        }
        inputSource = input
        if state == .active {
            input.resume()
        } else {
            inputSuspended = true
        }
    }

    /// Puts `grid` on screen, writing only what changed since the previous render. A grid of
    /// another size than the screen is clipped or padded with blanks.
    public func render(_ grid: CellGrid) {
        guard state == .active else { return }
        let (width, height) = size
        let frame = grid.resized(width: width, height: height)
        var previous = previousFrame
        if needsFullRepaint || previous?.width != width || previous?.height != height {
            previous = nil
            clearok(window, true)  // the terminal may hold anything after a resize, stop or editor
        }
        var buffer: [cchar_t] = []
        buffer.reserveCapacity(width)
        for row in 0..<height {
            guard let span = Self.changedSpan(row: row, in: frame, previous: previous) else { continue }
            buffer.removeAll(keepingCapacity: true)
            for column in span where !frame[row, column].isContinuation {
                let cell = frame[row, column]
                let style = cursesStyle(cell.style)
                appendCharacters(of: cell.text, attributes: style.attributes, pair: style.pair, to: &buffer)
            }
            wmove(window, Int32(row), Int32(span.lowerBound))
            buffer.withUnsafeBufferPointer { _ = wadd_wchnstr(window, $0.baseAddress, Int32($0.count)) }
        }
        placeCursor(width: width, height: height)
        wnoutrefresh(window)
        doupdate()
        previousFrame = frame
        needsFullRepaint = false
    }

    /// Makes the next render repaint the whole terminal (for a "redraw" key such as Ctrl-L).
    public func invalidate() {
        needsFullRepaint = true
    }

    /// Hands the terminal to a child program ($EDITOR, a pager): input stops, bracketed paste
    /// goes off and the tty returns to shell mode. Renders are ignored until `resume()`.
    public func suspend() {
        guard state == .active else { return }
        if let inputSource, !inputSuspended {
            inputSource.suspend()
            inputSuspended = true
        }
        Self.writeRaw(Self.bracketedPasteOff)
        def_prog_mode()
        endwin()
        EmergencyRestore.setActive(false)
        state = .suspended
    }

    /// Takes the terminal back after `suspend()`. The next render repaints everything; if the
    /// size changed meanwhile, a `.resize` event follows.
    public func resume() {
        guard state == .suspended else { return }
        reset_prog_mode()
        Self.writeRaw(Self.bracketedPasteOn)
        EmergencyRestore.setActive(true)
        state = .active
        decoder = KeyDecoder()
        needsFullRepaint = true
        if let inputSource, inputSuspended {
            inputSource.resume()
            inputSuspended = false
        }
        keyboardSignalsIgnoredUntil = .now() + .milliseconds(500)
        let resized = applyTerminalSize() || resizeWhileSuspended
        resizeWhileSuspended = false
        if resized {
            // Not reentrant: the caller of resume() gets the event on a later main-queue turn.
            DispatchQueue.main.async { [weak self] in
                MainActor.assumeIsolated { self?.reportSize() }
            }
        }
    }

    /// Runs a program on the terminal and waits for it: an editor (`["sh", "-c", "$EDITOR \"$@\"",
    /// "sh", path]`), a pager. The screen is suspended around it and fully repainted at the next
    /// render. The main actor is blocked while the program runs (the cooperative pool is not).
    /// The program is looked up in PATH and runs in this process group with default signal
    /// handling, so it can read the terminal and Ctrl-C reaches it.
    /// - Returns: the exit code, or 128 + the signal number if a signal ended it.
    public func runProgram(_ arguments: [String]) throws -> Int32 {
        guard let file = arguments.first, !file.isEmpty else { throw TerminalError("No program to run.") }
        let wasActive = state == .active
        if wasActive { suspend() }
        defer { if wasActive { resume() } }

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let pid = nc_spawn_foreground(file, &argv)
        guard pid > 0 else {
            throw TerminalError("Could not start \(file): \(String(cString: strerror(errno))).")
        }
        let status = nc_wait_exit_status(pid)
        guard status >= 0 else {
            throw TerminalError("Lost track of \(file): \(String(cString: strerror(errno))).")
        }
        return status
    }

    /// Ctrl-Z: gives the terminal back and stops the process group like a shell's job control
    /// would; returns once the user continues the job (`fg`), with the screen taken back.
    public func suspendToShell() {
        guard state == .active else { return }
        suspend()
        kill(0, SIGSTOP)
        resume()
    }

    /// Gives the terminal back for good: input and signal handling stop, bracketed paste goes
    /// off, curses ends and the saved tty modes return. Safe to call more than once.
    public func restore() {
        guard state != .restored else { return }
        let wasActive = state == .active
        state = .restored
        if let inputSource {
            // libdispatch cannot cancel (and later release) a suspended source.
            if inputSuspended { inputSource.resume() }
            inputSource.cancel()
        }
        inputSource = nil
        inputSuspended = false
        for source in signalSources { source.cancel() }
        if !signalSources.isEmpty {
            for sig in Self.handledSignals { nc_default_signal(sig) }
        }
        signalSources = []
        if wasActive {
            Self.writeRaw(Self.bracketedPasteOff)
            endwin()
        }
        EmergencyRestore.setActive(false)
        EmergencyRestore.restoreTerminalModes()
    }

    // MARK: - Input

    private func drainInput() {
        guard state == .active else { return }
        drainCount += 1
        var keys: [Key] = []
        var sawInput = false
        var sizeChanged = false
        while true {
            var value: wint_t = 0
            let result = wget_wch(window, &value)
            if result == ERR { break }
            sawInput = true
            if result == KEY_CODE_YES {
                let code = Int32(bitPattern: value)
                if code == CursesKeyCode.resize {
                    // resizeterm queues this; the SIGWINCH handler has usually reported the size already.
                    sizeChanged = true
                } else if code == CursesKeyCode.mouse {
                    var event = MEVENT()
                    _ = getmouse(&event)  // mouse reporting is off; just consume it
                } else {
                    keys += decoder.feed(.keyCode(code))
                }
            } else {
                keys += decoder.feed(.character(value))
            }
        }
        keys += decoder.flush()

        if !sawInput && nc_input_closed(STDIN_FILENO) != 0 {
            // The terminal is gone (SSH dropped, window closed): stop reading and say so once.
            inputSource?.cancel()
            inputSource = nil
            onEvent?(.terminate(signal: SIGHUP))
            return
        }
        if decoder.isPasting { schedulePasteTimeout() }
        if sizeChanged && (size.width, size.height) != lastReportedSize {
            needsFullRepaint = true
            reportSize()
        }
        for key in keys {
            guard state == .active else { break }  // a key handler suspended or restored the screen
            onEvent?(.key(key))
        }
    }

    /// A paste whose end marker never comes would swallow every later key; give up after a
    /// second without input.
    private func schedulePasteTimeout() {
        let drain = drainCount
        DispatchQueue.main.asyncAfter(deadline: .now() + 1) { [weak self] in
            MainActor.assumeIsolated {
                guard let self, self.drainCount == drain, self.state == .active else { return }
                for key in self.decoder.endPaste() { self.onEvent?(.key(key)) }
            }
        }
    }

    private func handleSignal(_ sig: Int32) {
        guard state != .restored else { return }
        switch sig {
        case SIGWINCH:
            guard state == .active else {
                resizeWhileSuspended = true
                return
            }
            _ = applyTerminalSize()
            needsFullRepaint = true
            reportSize()
        case SIGCONT:
            // Continued after an outside stop: the shell may have changed the tty modes meanwhile.
            guard state == .active else { return }
            reset_prog_mode()
            Self.writeRaw(Self.bracketedPasteOn)
            _ = applyTerminalSize()
            needsFullRepaint = true
            reportSize()
        case SIGINT, SIGQUIT:
            guard state == .active, DispatchTime.now() >= keyboardSignalsIgnoredUntil else { return }
            onEvent?(.terminate(signal: sig))
        default:
            onEvent?(.terminate(signal: sig))
        }
    }

    /// Reads the real size from the tty and tells curses; true when it changed.
    private func applyTerminalSize() -> Bool {
        var rows: Int32 = 0
        var columns: Int32 = 0
        guard nc_window_size(STDOUT_FILENO, &rows, &columns) == 0, rows > 0, columns > 0 else { return false }
        guard rows != getmaxy(window) || columns != getmaxx(window) else { return false }
        resizeterm(rows, columns)
        return true
    }

    /// Reported even when the size is unchanged: after a resize storm or a stop the terminal may
    /// have reflowed or cleared the screen, and the UI must render again.
    private func reportSize() {
        guard state == .active else { return }
        let current = size
        lastReportedSize = current
        onEvent?(.resize(width: current.width, height: current.height))
    }

    // MARK: - Output

    /// Columns to rewrite in `row`: from the first to the last changed cell, widened so it starts
    /// and ends on whole graphemes. Nil when nothing changed.
    private static func changedSpan(row: Int, in frame: CellGrid, previous: CellGrid?) -> ClosedRange<Int>? {
        let width = frame.width
        guard width > 0 else { return nil }
        guard let previous else { return 0...(width - 1) }
        guard var first = (0..<width).first(where: { frame[row, $0] != previous[row, $0] }) else { return nil }
        var last = (first..<width).last(where: { frame[row, $0] != previous[row, $0] }) ?? first
        while first > 0 && frame[row, first].isContinuation { first -= 1 }
        while last + 1 < width && frame[row, last + 1].isContinuation { last += 1 }
        return first...last
    }

    /// Converts one cell's grapheme to curses characters: one `cchar_t` per spacing scalar, with
    /// the zero-width scalars after it attached (at most CCHARW_MAX in all). A grapheme such as a
    /// ZWJ emoji sequence holds several spacing scalars; ncurses gives each its own cell, which is
    /// the same total width `DisplayWidth` computed.
    private func appendCharacters(of text: String, attributes: attr_t, pair: Int32, to buffer: inout [cchar_t]) {
        let capacity = Int(nc_ccharw_max())
        var characters: [wchar_t] = []
        func emit() {
            guard !characters.isEmpty else { return }
            characters.append(0)
            var character = cchar_t()
            var pairNumber = pair
            _ = characters.withUnsafeBufferPointer { setcchar(&character, $0.baseAddress, attributes, 0, &pairNumber) }
            buffer.append(character)
            characters.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let w = DisplayWidth.scalarWidth(scalar)
            if w > 0 {
                emit()
                characters.append(wchar_t(bitPattern: scalar.value))
            } else if w == 0 {
                // Leading zero-width scalars have nothing to attach to and are not drawn.
                if !characters.isEmpty && characters.count < capacity {
                    characters.append(wchar_t(bitPattern: scalar.value))
                }
            } else {
                emit()
                characters.append(0xFFFD)  // CellGrid never stores these; kept as a last line of defence
            }
        }
        emit()
    }

    private func cursesStyle(_ style: CellStyle) -> (attributes: attr_t, pair: Int32) {
        if let cached = styleCache[style] { return cached }
        var attributes = nc_a_normal()
        if style.attributes.contains(.bold) { attributes |= nc_a_bold() }
        if style.attributes.contains(.dim) { attributes |= nc_a_dim() }
        if style.attributes.contains(.italic) { attributes |= nc_a_italic() }
        if style.attributes.contains(.underline) { attributes |= nc_a_underline() }
        if style.attributes.contains(.reverse) { attributes |= nc_a_reverse() }
        var pair: Int32 = 0
        if colorCapability != .none {
            let foreground = colorNumber(style.foreground, isForeground: true)
            let background = colorNumber(style.background, isForeground: false)
            if !(foreground == -1 && background == -1) {
                // Extended pair numbers go above 255, so they are passed through setcchar's opts.
                pair = max(alloc_pair(foreground, background), 0)
            }
        }
        if styleCache.count >= Self.styleCacheLimit { styleCache.removeAll() }
        styleCache[style] = (attributes, pair)
        return (attributes, pair)
    }

    private func colorNumber(_ color: TerminalColor, isForeground: Bool) -> Int32 {
        switch color.downsampled(to: colorCapability) {
        case .default:
            if hasDefaultColors { return -1 }
            return isForeground ? Int32(COLOR_WHITE) : Int32(COLOR_BLACK)
        case .indexed(let index):
            // Direct-colour terminfo keeps 0-7 as the ANSI colours; anything else is 0xRRGGBB.
            if colorCapability == .direct && index >= 8 {
                let (r, g, b) = Palette.rgb(ofIndex: index)
                return max(Int32(r << 16 | g << 8 | b), 8)
            }
            return Int32(index)
        case .rgb(let r, let g, let b):
            return max(Int32(r) << 16 | Int32(g) << 8 | Int32(b), 8)
        }
    }

    private func placeCursor(width: Int, height: Int) {
        if let cursor, (0..<height).contains(cursor.row), (0..<width).contains(cursor.column) {
            if !cursorShown {
                curs_set(1)
                cursorShown = true
            }
            wmove(window, Int32(cursor.row), Int32(cursor.column))
        } else if cursorShown {
            curs_set(0)
            cursorShown = false
        }
    }

    /// What a crash handler writes to leave the terminal usable: bracketed paste off, attributes
    /// reset, cursor visible, keypad local mode, leave the alternate screen.
    private static func resetSequence() -> [UInt8] {
        var bytes = Array(bracketedPasteOff.utf8)
        for capability in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            guard let value = nc_terminfo_string(capability) else { continue }
            bytes += withoutPadding(Array(String(cString: value).utf8))
        }
        return bytes
    }

    /// terminfo strings may hold delays written as `$<5>` or `$<2*/>`; tputs interprets them,
    /// a raw write must drop them.
    nonisolated static func withoutPadding(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "$"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "<"),
               let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: ">")) {
                i = close + 1
                continue
            }
            result.append(bytes[i])
            i += 1
        }
        return result
    }

    private static func writeRaw(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
