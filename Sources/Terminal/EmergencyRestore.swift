import CNcursesw
import Foundation

/// Puts the terminal back when the process dies without `TerminalScreen.restore()`: a crash signal
/// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE; Swift traps arrive as SIGILL or SIGTRAP) or
/// `exit()` from anywhere. The work happens in C (shim.h) because a signal handler may only make
/// async-signal-safe calls and cannot be a Swift closure with state.
///
/// Every call to the stateful shim functions must stay in this file: their state is `static` in
/// the header, so each Swift file that used them would get a private copy.
enum EmergencyRestore {
    /// Remembers the terminal modes before curses changes them.
    @discardableResult
    static func saveTerminalModes() -> Bool {
        nc_save_termios(STDIN_FILENO) == 0
    }

    static func restoreTerminalModes() {
        nc_restore_saved_termios()
    }

    /// The bytes written on an emergency exit (leave the alternate screen, show the cursor…).
    static func setResetSequence(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                nc_set_reset_bytes(chars.baseAddress, chars.count)
            }
        }
    }

    /// Installs the crash handlers and the atexit hook, once per process.
    static func install() {
        nc_install_emergency_handlers()
    }

    /// Whether the reset is needed: only while curses owns the terminal (not while an editor does).
    static func setActive(_ active: Bool) {
        nc_set_terminal_active(active ? 1 : 0)
    }
}
