/*
 * C shims over ncursesw for the Terminal module (the only importer).
 *
 * A systemLibrary target cannot compile .c files, so everything here is `static`: each importing
 * object file gets its own copy and there are no duplicate symbols. The emergency-restore state
 * below is therefore only touched from ONE Swift file (Sources/Terminal/EmergencyRestore.swift);
 * calling those functions from another file would give that file a separate, empty copy.
 * Every static variable has an explicit initialiser: Swift's importer emits a tentative
 * definition (no initialiser) as an undefined external symbol, which then fails to link.
 */
#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H

/* SwiftPM drops the -D flags pkg-config gives; enable the wide-character API here. */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* glibc hides these behind __USE_XOPEN, which the Swift Glibc module does not see. */
extern int wcwidth(wchar_t c);

/* ---- Globals and macros Swift cannot read or import ------------------------------------ */

static inline WINDOW *nc_stdscr(void) { return stdscr; }
static inline int nc_colors(void) { return COLORS; }
static inline int nc_color_pairs(void) { return COLOR_PAIRS; }
static inline int nc_ccharw_max(void) { return CCHARW_MAX; }

static inline attr_t nc_a_normal(void) { return A_NORMAL; }
static inline attr_t nc_a_bold(void) { return A_BOLD; }
static inline attr_t nc_a_dim(void) { return A_DIM; }
static inline attr_t nc_a_italic(void) { return A_ITALIC; }
static inline attr_t nc_a_underline(void) { return A_UNDERLINE; }
static inline attr_t nc_a_reverse(void) { return A_REVERSE; }

/* newterm() instead of initscr(): initscr() exits the process when TERM has no terminfo entry. */
static inline SCREEN *nc_newterm(const char *term) { return newterm(term, stdout, stdin); }

/* tigetstr() returns (char *)-1 for "not a string capability"; fold that into NULL. */
static inline const char *nc_terminfo_string(const char *capname) {
    char *value = tigetstr(capname);
    return (value == (char *)-1) ? NULL : value;
}

/* SIG_IGN and SIG_DFL are casts of integers to function pointers; Swift cannot import them. */
static inline void nc_ignore_signal(int sig) { signal(sig, SIG_IGN); }
static inline void nc_default_signal(int sig) { signal(sig, SIG_DFL); }

/* ---- Running a program on the terminal (an editor, a pager) --------------------------------
 * The child stays in our process group, so it may read the terminal (Foundation's Process puts
 * children in a new group, where reading the tty stops them with SIGTTIN). It starts with no
 * blocked signals (dispatch threads block many, and the mask is inherited) and default actions
 * for the signals we handle. Returns the pid, or -1 with errno set. */
extern char **environ;

static inline pid_t nc_spawn_foreground(const char *file, char *const argv[]) {
    posix_spawnattr_t attr;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0) { errno = rc; return -1; }
    sigset_t unblocked, defaults;
    sigemptyset(&unblocked);
    sigemptyset(&defaults);
    const int reset[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH, SIGCONT, SIGTSTP, SIGPIPE, SIGCHLD };
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++) sigaddset(&defaults, reset[i]);
    posix_spawnattr_setsigmask(&attr, &unblocked);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    rc = posix_spawnp(&pid, file, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}

/* Waits for pid; returns its exit code, 128 + signal number if a signal ended it, -1 on error. */
static inline int nc_wait_exit_status(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

/* ---- Locale ------------------------------------------------------------------------------ */

static inline int nc_ctype_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* ---- tty queries (ioctl is variadic, which Swift does not import) ------------------------ */

static inline int nc_window_size(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

/* True when fd has hung up or reports readable with nothing to read (EOF on a tty). */
static inline int nc_input_closed(int fd) {
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    if (poll(&p, 1, 0) < 0) return 0;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return 1;
    if (p.revents & POLLIN) {
        int pending = 0;
        if (ioctl(fd, FIONREAD, &pending) == 0 && pending == 0) return 1;
    }
    return 0;
}

/* ---- Emergency terminal restore (crash signals and atexit) ------------------------------
 * The handler only uses async-signal-safe calls: write(), tcsetattr(), sigaction(), raise().
 * It restores whatever handler was installed before ours (the default action, or the Swift
 * runtime's backtracer) and re-raises, so crash reports still happen, on a usable terminal. */

enum { NC_RESET_CAPACITY = 512, NC_CRASH_SIGNAL_COUNT = 6 };

static struct termios nc_saved_termios = { 0 };
static volatile sig_atomic_t nc_have_saved_termios = 0;
static char nc_reset_bytes[NC_RESET_CAPACITY] = { 0 };
static volatile sig_atomic_t nc_reset_length = 0;
/* 1 while curses owns the screen; 0 before start, while an editor runs, and after restore. */
static volatile sig_atomic_t nc_terminal_active = 0;
static const int nc_crash_signals[NC_CRASH_SIGNAL_COUNT] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
static struct sigaction nc_previous_actions[NC_CRASH_SIGNAL_COUNT] = { { { 0 } } };
static int nc_handlers_installed = 0;

static inline int nc_save_termios(int fd) {
    if (tcgetattr(fd, &nc_saved_termios) != 0) return -1;
    nc_have_saved_termios = 1;
    return 0;
}

static inline void nc_restore_saved_termios(void) {
    if (nc_have_saved_termios) tcsetattr(STDIN_FILENO, TCSANOW, &nc_saved_termios);
}

static inline void nc_set_reset_bytes(const char *bytes, size_t length) {
    if (length > NC_RESET_CAPACITY) length = NC_RESET_CAPACITY;
    nc_reset_length = 0;
    memcpy(nc_reset_bytes, bytes, length);
    nc_reset_length = (sig_atomic_t)length;
}

static inline void nc_set_terminal_active(int active) { nc_terminal_active = active; }

/* Writes the reset bytes and puts the saved termios back, once. Async-signal-safe. */
static void nc_emergency_restore(void) {
    if (!nc_terminal_active) return;
    nc_terminal_active = 0;
    size_t done = 0, total = (size_t)nc_reset_length;
    while (done < total) {
        ssize_t n = write(STDOUT_FILENO, nc_reset_bytes + done, total - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    nc_restore_saved_termios();
}

static void nc_crash_handler(int sig) {
    int saved_errno = errno;
    nc_emergency_restore();
    for (int i = 0; i < NC_CRASH_SIGNAL_COUNT; i++) {
        if (nc_crash_signals[i] == sig) {
            sigaction(sig, &nc_previous_actions[i], NULL);
            break;
        }
    }
    /* Blocked until we return; then delivered to the previous handler or the default action.
     * A hardware fault also simply re-faults on return. */
    raise(sig);
    errno = saved_errno;
}

static void nc_atexit_restore(void) { nc_emergency_restore(); }

static inline void nc_install_emergency_handlers(void) {
    if (nc_handlers_installed) return;
    nc_handlers_installed = 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = nc_crash_handler;
    sigemptyset(&action.sa_mask);
    /* SA_ONSTACK: a stack overflow (SIGSEGV) can still run the handler if an alternate
     * signal stack exists, as the Swift runtime's backtracer sets one up. */
    action.sa_flags = SA_ONSTACK;
    for (int i = 0; i < NC_CRASH_SIGNAL_COUNT; i++) {
        sigaction(nc_crash_signals[i], &action, &nc_previous_actions[i]);
    }
    atexit(nc_atexit_restore);
}

#endif
