import Dispatch
import Glibc

// Runs a real program on a pseudo-terminal, as a terminal emulator would: the program gets a
// new session with the pty as its controlling terminal and stdin/stdout/stderr, output is fed
// into a `VirtualScreen`, and the screen's answers to cursor-position/device-attribute queries
// are written back. Tests wait for screen states with `waitFor`, never with fixed sleeps.
//
// Not Sendable: one test owns one process. In async tests the `async` overloads wait without
// blocking a cooperative thread (the compiler picks them whenever `await` is written).

/// A failure of the harness, with enough context (screen dump, exit status) to debug a test.
public struct PTYError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func posix(_ what: String, _ code: Int32 = errno) -> PTYError {
        PTYError("\(what) failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}

/// How a child process ended.
public enum ExitStatus: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The shell convention: the exit code, or 128 + the signal number.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// The line-discipline flags that tell whether a program left the terminal in a usable state.
public struct LineDiscipline: Hashable, Sendable {
    /// ICANON: line editing (off in curses raw/cbreak mode).
    public var canonical: Bool
    /// ECHO.
    public var echo: Bool
    /// ISIG: Ctrl-C/Ctrl-Z generate signals (off in raw mode).
    public var signals: Bool
    /// ICRNL: Enter arrives as "\n" (turned off by curses `nonl`/`raw`).
    public var carriageReturnToNewline: Bool
    /// OPOST: output post-processing such as "\n" → "\r\n".
    public var outputProcessing: Bool

    public init(_ attributes: termios) {
        canonical = attributes.c_lflag & tcflag_t(ICANON) != 0
        echo = attributes.c_lflag & tcflag_t(ECHO) != 0
        signals = attributes.c_lflag & tcflag_t(ISIG) != 0
        carriageReturnToNewline = attributes.c_iflag & tcflag_t(ICRNL) != 0
        outputProcessing = attributes.c_oflag & tcflag_t(OPOST) != 0
    }

    /// What `stty sane` gives and a shell expects back after a full-screen program.
    public var isCooked: Bool { canonical && echo && signals && carriageReturnToNewline && outputProcessing }
}

/// A key as an xterm sends it (terminfo `xterm-256color` sequences).
public enum TerminalKey: Hashable, Sendable {
    case up, down, right, left, home, end
    case pageUp, pageDown, insert, delete
    case enter, escape, tab, shiftTab, backspace
    /// Control plus a letter or one of `@[\]^_` (Ctrl-Space sends NUL).
    case ctrl(Character)
    /// Meta/Alt: ESC followed by the character, as xterm sends it by default.
    case alt(Character)
    /// F1–F12.
    case function(Int)
    /// Literal text, UTF-8 encoded.
    case text(String)
    /// A left-button click (press and release) in SGR mouse encoding, 0-based cell position.
    case click(row: Int, col: Int)
    /// A wheel step in SGR mouse encoding, 0-based cell position.
    case wheelUp(row: Int, col: Int)
    case wheelDown(row: Int, col: Int)

    /// The bytes for this key given the terminal's current modes.
    public func bytes(applicationCursorKeys: Bool) -> [UInt8] {
        let cursorPrefix = applicationCursorKeys ? "\u{1B}O" : "\u{1B}["
        let sequence: String
        switch self {
        case .up: sequence = cursorPrefix + "A"
        case .down: sequence = cursorPrefix + "B"
        case .right: sequence = cursorPrefix + "C"
        case .left: sequence = cursorPrefix + "D"
        case .home: sequence = cursorPrefix + "H"
        case .end: sequence = cursorPrefix + "F"
        case .pageUp: sequence = "\u{1B}[5~"
        case .pageDown: sequence = "\u{1B}[6~"
        case .insert: sequence = "\u{1B}[2~"
        case .delete: sequence = "\u{1B}[3~"
        case .enter: sequence = "\r"
        case .escape: sequence = "\u{1B}"
        case .tab: sequence = "\t"
        case .shiftTab: sequence = "\u{1B}[Z"
        case .backspace: sequence = "\u{7F}" // xterm-256color kbs=^?
        case .ctrl(let character):
            guard let ascii = character.asciiValue else { return [] }
            switch ascii {
            case 0x20: return [0]
            case 0x3F: return [0x7F] // Ctrl-? is DEL
            default: return [Character(Unicode.Scalar(ascii)).uppercased().first!.asciiValue! & 0x1F]
            }
        case .alt(let character): sequence = "\u{1B}" + String(character)
        case .function(let number):
            let codes = [1: "OP", 2: "OQ", 3: "OR", 4: "OS", 5: "[15~", 6: "[17~", 7: "[18~", 8: "[19~",
                         9: "[20~", 10: "[21~", 11: "[23~", 12: "[24~"]
            guard let code = codes[number] else { return [] }
            sequence = "\u{1B}" + code
        case .text(let text): sequence = text
        case .click(let row, let col):
            sequence = "\u{1B}[<0;\(col + 1);\(row + 1)M\u{1B}[<0;\(col + 1);\(row + 1)m"
        case .wheelUp(let row, let col): sequence = "\u{1B}[<64;\(col + 1);\(row + 1)M"
        case .wheelDown(let row, let col): sequence = "\u{1B}[<65;\(col + 1);\(row + 1)M"
        }
        return Array(sequence.utf8)
    }
}

public final class PTYProcess {
    public let pid: pid_t
    /// The emulated terminal, updated whenever output is read.
    public private(set) var screen: VirtualScreen
    /// Every byte the program wrote, in order.
    public private(set) var transcript: [UInt8] = []
    /// Set once the process has ended and been reaped.
    public private(set) var exitStatus: ExitStatus?
    /// The slave's terminal attributes as the program left them, captured when its exit was seen.
    public private(set) var terminalAttributesAtExit: termios?

    private var master: Int32
    /// Kept open so terminal attributes stay readable and no output is lost while the child
    /// lives; closed after the exit so that draining the master ends with EIO.
    private var slave: Int32
    private let command: String

    /// The base environment of every child: deterministic locale, terminal and time zone.
    /// `COLUMNS`/`LINES` are deliberately absent: they would override the window size.
    public static var baseEnvironment: [String: String] {
        let parent = currentEnvironment()
        return [
            "PATH": parent["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
            "HOME": parent["HOME"] ?? "/tmp",
            "LANG": "C.UTF-8",
            "TERM": "xterm-256color",
            "TZ": "UTC",
        ]
    }

    /// Starts `executable` (a path, or a name looked up in the child's PATH) on a new pty of
    /// the given size. `environment` is added to (and overrides) `baseEnvironment`.
    public init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        width: Int = 80,
        height: Int = 24,
        workingDirectory: String? = nil
    ) throws {
        let childEnvironment = Self.baseEnvironment.merging(environment) { _, new in new }
        let path = try Self.resolve(executable, searchPath: childEnvironment["PATH"] ?? "")
        command = ([executable] + arguments).joined(separator: " ")
        screen = VirtualScreen(width: width, height: height)

        var size = winsize(ws_row: UInt16(clamping: height), ws_col: UInt16(clamping: width), ws_xpixel: 0, ws_ypixel: 0)
        var masterFD: Int32 = -1
        var slaveFD: Int32 = -1
        guard openpty(&masterFD, &slaveFD, nil, nil, &size) == 0 else { throw PTYError.posix("openpty") }
        master = masterFD
        slave = slaveFD
        // deinit does not run when init throws, so the descriptors are closed here on failure.
        do {
            for fd in [masterFD, slaveFD] {
                guard fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else { throw PTYError.posix("fcntl(FD_CLOEXEC)") }
            }
            guard fcntl(masterFD, F_SETFL, fcntl(masterFD, F_GETFL) | O_NONBLOCK) == 0 else {
                throw PTYError.posix("fcntl(O_NONBLOCK)")
            }
            // Terminal emulators in UTF-8 locales set IUTF8 so that the kernel's line editing
            // erases whole characters; do the same.
            var attributes = termios()
            if tcgetattr(slaveFD, &attributes) == 0 {
                attributes.c_iflag |= tcflag_t(IUTF8)
                tcsetattr(slaveFD, TCSANOW, &attributes)
            }
            pid = try Self.spawn(
                path: path, arguments: [executable] + arguments, environment: childEnvironment,
                slavePath: try Self.ttyName(slaveFD), workingDirectory: workingDirectory)
        } catch {
            close(masterFD)
            close(slaveFD)
            throw error
        }
    }

    deinit {
        terminate()
    }

    /// The transcript decoded as UTF-8 (malformed bytes replaced).
    public var transcriptText: String { String(decoding: transcript, as: UTF8.self) }

    public var isRunning: Bool {
        reapIfExited()
        return exitStatus == nil
    }

    // MARK: Input

    public func send(_ text: String) throws {
        try send(bytes: Array(text.utf8))
    }

    public func send(keys: TerminalKey...) throws {
        try send(keys: keys)
    }

    /// Encodes keys for the current modes (application cursor keys switch the arrow sequences),
    /// after reading any pending output that might have changed those modes.
    public func send(keys: [TerminalKey]) throws {
        readAvailableOutput()
        for key in keys {
            try send(bytes: key.bytes(applicationCursorKeys: screen.modes.applicationCursorKeys))
        }
    }

    /// Pastes text as a terminal does: wrapped in bracketed-paste markers when the program
    /// enabled them (`CSI ? 2004 h`).
    public func paste(_ text: String) throws {
        readAvailableOutput()
        if screen.modes.bracketedPaste {
            try send("\u{1B}[200~" + text + "\u{1B}[201~")
        } else {
            try send(text)
        }
    }

    /// Writes bytes to the program's terminal input. While the pty's input buffer is full, keeps
    /// reading output so a program blocked on writing cannot deadlock with us.
    public func send(bytes: [UInt8]) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        var offset = 0
        while offset < bytes.count {
            guard master >= 0 else { throw PTYError("cannot send input: \(command) \(exitStatus.map { "\($0)" } ?? "has closed its terminal")") }
            let written = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
                continue
            }
            if written < 0 && errno != EAGAIN && errno != EINTR { throw PTYError.posix("write to pty") }
            guard ContinuousClock.now < deadline else {
                throw PTYError("timed out writing input to \(command)\n\(screen.dump)")
            }
            var fd = pollfd(fd: master, events: Int16(POLLOUT | POLLIN), revents: 0)
            _ = poll(&fd, 1, 50)
            readAvailableOutput()
        }
    }

    // MARK: Window size

    /// Resizes the terminal. The kernel delivers SIGWINCH to the terminal's foreground process
    /// group on TIOCSWINSZ, exactly as for a real terminal window (and to whichever group is in
    /// the foreground, e.g. an editor the program spawned), so no extra signal is sent.
    public func resize(width: Int, height: Int) throws {
        // Output written for the old size must be interpreted at the old size.
        readAvailableOutput()
        var size = winsize(ws_row: UInt16(clamping: height), ws_col: UInt16(clamping: width), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(master, UInt(TIOCSWINSZ), &size) == 0 else { throw PTYError.posix("ioctl(TIOCSWINSZ)") }
        screen.resize(width: width, height: height)
    }

    // MARK: Waiting

    /// Reads output until `predicate` holds for the screen, blocking this thread. Throws, with
    /// `description` and a screen dump, on timeout or if the program exits first.
    public func waitFor(
        timeout: Duration = .seconds(10),
        description: String,
        _ predicate: (VirtualScreen) -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if predicate(screen) { return }
            try checkStillWaiting(for: description, deadline: deadline, timeout: timeout)
            Self.pollReadable(master, until: deadline)
            pump()
        }
    }

    /// The same as the blocking `waitFor`, but the wait for output happens off the cooperative
    /// thread pool, so other tasks (e.g. an in-process server the program talks to) keep running.
    public func waitFor(
        timeout: Duration = .seconds(10),
        description: String,
        _ predicate: (VirtualScreen) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if predicate(screen) { return }
            try checkStillWaiting(for: description, deadline: deadline, timeout: timeout)
            await Self.pollReadableOffPool(master, until: deadline)
            pump()
        }
    }

    /// Waits for the program to exit (reading its output meanwhile) and returns its status in
    /// the shell convention: the exit code, or 128 + signal number.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) throws -> Int32 {
        try waitFor(timeout: timeout, description: "\(command) to exit") { _ in exitStatus != nil }
        return exitStatus!.code
    }

    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        try await waitFor(timeout: timeout, description: "\(command) to exit") { _ in exitStatus != nil }
        return exitStatus!.code
    }

    /// Reads whatever output is available now without waiting, and notices an exit.
    public func pump() {
        readAvailableOutput()
        reapIfExited()
    }

    private func checkStillWaiting(for description: String, deadline: ContinuousClock.Instant, timeout: Duration) throws {
        // An exit is only reported once all output has been drained (see `reapIfExited`), and
        // `exitStatus != nil` predicates have already been checked by the caller.
        if let exitStatus {
            throw PTYError("\(command) \(exitStatus) while waiting for: \(description)\n\(screen.dump)")
        }
        if ContinuousClock.now >= deadline {
            throw PTYError("timed out after \(timeout) waiting for: \(description)\n\(screen.dump)")
        }
    }

    // MARK: Terminal attributes

    /// The terminal attributes (termios) of the program's terminal: live while it runs, and as it
    /// left them once it has exited.
    public func terminalAttributes() throws -> termios {
        if let terminalAttributesAtExit { return terminalAttributesAtExit }
        var attributes = termios()
        guard slave >= 0, tcgetattr(slave, &attributes) == 0 else { throw PTYError.posix("tcgetattr") }
        return attributes
    }

    public func lineDiscipline() throws -> LineDiscipline {
        LineDiscipline(try terminalAttributes())
    }

    // MARK: Termination

    /// Ends the program and its process group: SIGTERM, up to one second's grace, then SIGKILL;
    /// reaps it and closes the pty. Safe to call repeatedly; deinit calls it.
    public func terminate() {
        if exitStatus == nil && !hasExited(reap: false) {
            kill(-pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(1)
            while ContinuousClock.now < deadline && !hasExited(reap: false) {
                // Keep draining so a program writing on its way out is not blocked on the pty.
                Self.pollReadable(master, until: min(deadline, ContinuousClock.now + .milliseconds(20)))
                readAvailableOutput()
            }
        }
        if exitStatus == nil {
            // The unreaped leader keeps the group id reserved, so this cannot hit a reused id;
            // it also takes down anything the program left behind in its group.
            kill(-pid, SIGKILL)
            captureAttributesAtExit()
            exitStatus = reap()
        }
        closeDescriptors()
    }

    // MARK: Internals

    private func readAvailableOutput() {
        guard master >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count > 0 {
                ingest(buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return // EAGAIN: nothing more for now; EIO/0: the slave side is closed.
            }
        }
    }

    private func ingest(_ bytes: ArraySlice<UInt8>) {
        transcript.append(contentsOf: bytes)
        let answer = screen.feed(bytes)
        guard !answer.isEmpty else { return }
        // Answers are a few bytes into an input queue the program is actively reading; should it
        // be full, the program is not listening and the answer would be stale anyway.
        answer.withUnsafeBytes { _ = write(master, $0.baseAddress, $0.count) }
    }

    private func hasExited(reap: Bool) -> Bool {
        // With WNOHANG and no state change, waitid leaves the zeroed siginfo's pid at 0.
        var info = siginfo_t()
        let options = WEXITED | WNOHANG | (reap ? 0 : WNOWAIT)
        guard waitid(P_PID, id_t(pid), &info, options) == 0 else { return errno == ECHILD }
        return info._sifields._sigchld.si_pid == pid
    }

    /// Notices the exit, records the terminal attributes, then drains the output: with the slave
    /// closed, reading the master returns the rest of the output and then EIO, so nothing the
    /// program wrote just before exiting is lost.
    private func reapIfExited() {
        guard exitStatus == nil, hasExited(reap: false) else { return }
        captureAttributesAtExit()
        if slave >= 0 {
            close(slave)
            slave = -1
        }
        drainAfterExit()
        exitStatus = reap()
    }

    private func reap() -> ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            // ECHILD: something else in the test process reaped it; the status is unknown.
            if errno != EINTR { return .exited(-1) }
        }
        return Self.decode(status)
    }

    private func drainAfterExit() {
        guard master >= 0 else { return }
        // Normally EIO comes at once. A descendant still holding the terminal open would keep
        // it alive, so give up after a quiet half second.
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var quietUntil = ContinuousClock.now + .milliseconds(500)
        while ContinuousClock.now < quietUntil {
            Self.pollReadable(master, until: quietUntil)
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count > 0 {
                ingest(buffer[0..<count])
                quietUntil = ContinuousClock.now + .milliseconds(500)
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                return
            }
        }
    }

    private func captureAttributesAtExit() {
        guard terminalAttributesAtExit == nil, slave >= 0 else { return }
        var attributes = termios()
        if tcgetattr(slave, &attributes) == 0 { terminalAttributesAtExit = attributes }
    }

    private func closeDescriptors() {
        if master >= 0 { close(master) }
        if slave >= 0 { close(slave) }
        master = -1
        slave = -1
    }

    private static func decode(_ status: Int32) -> ExitStatus {
        // The WIFEXITED/WEXITSTATUS macros are not imported into Swift.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// Waits until the fd is readable or the deadline passes, in slices short enough to notice
    /// a process exit (which produces no output when the parent holds the slave open).
    private static func pollReadable(_ fd: Int32, until deadline: ContinuousClock.Instant) {
        guard fd >= 0 else { return }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, min(milliseconds(until: deadline), 50))
    }

    private static func pollReadableOffPool(_ fd: Int32, until deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                pollReadable(fd, until: deadline)
                continuation.resume()
            }
        }
    }

    // MARK: Spawning

    private static func ttyName(_ fd: Int32) throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let result = ttyname_r(fd, &buffer, buffer.count)
        guard result == 0 else { throw PTYError.posix("ttyname_r", result) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func resolve(_ executable: String, searchPath: String) throws -> String {
        if executable.contains("/") {
            guard access(executable, X_OK) == 0 else { throw PTYError("\(executable) is not an executable file") }
            return executable
        }
        for directory in searchPath.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw PTYError("\(executable) not found in PATH \(searchPath)")
    }

    /// posix_spawn rather than fork: nothing runs in the child between fork and exec except
    /// glibc's own spawn code. The child starts a new session (POSIX_SPAWN_SETSID) and then opens
    /// the slave by name, which makes it the controlling terminal, as stdin, stdout and stderr.
    private static func spawn(
        path: String, arguments: [String], environment: [String: String],
        slavePath: String, workingDirectory: String?
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        // The test runner's blocked and ignored signals must not leak into the program.
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        let flags = posixSpawnSetSID | Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        // Descriptors the test process opened without FD_CLOEXEC must not leak into the program.
        _ = posix_spawn_file_actions_addclosefrom_np_shim(&actions, 3)
        if let workingDirectory {
            _ = posix_spawn_file_actions_addchdir_np_shim(&actions, workingDirectory)
        }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw PTYError.posix("posix_spawn \(path)", result) }
        return pid
    }

    private static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}

// glibc declares these only under _GNU_SOURCE, which Swift's Glibc module does not see.
/// POSIX_SPAWN_SETSID from <spawn.h> (glibc 2.26+).
private let posixSpawnSetSID: Int32 = 0x80

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func posix_spawn_file_actions_addclosefrom_np_shim(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func posix_spawn_file_actions_addchdir_np_shim(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
