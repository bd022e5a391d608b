import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ways to make storage fail for real, shared by the storage tests of the cache, the service and
/// the binary. Nothing here touches Otter's
/// code: the kernel refuses, SQLite notices, and the code under test sees what a user's would.

/// A file this process may not open for writing.
public enum Unwritable {
    /// Mode 0444 stops an ordinary user (open for writing fails with EACCES). Root ignores modes,
    /// so for root the immutable attribute does the same (`chattr +i`: EPERM). SQLite reacts to
    /// both alike: its read-write open fails and it quietly opens the file for reading instead.
    /// Returns what undoes it (an immutable file cannot even be deleted).
    public static func make(_ path: String) throws -> () -> Void {
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        var undo: () -> Void = { try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        if isWritable(path) {
            try run("/usr/bin/chattr", ["+i", path])
            let chmodBack = undo
            undo = {
                try? run("/usr/bin/chattr", ["-i", path])
                chmodBack()
            }
        }
        guard !isWritable(path) else {
            undo()
            throw StorageConditionError("could not make \(path) unwritable for this process")
        }
        return undo
    }

    public static func isWritable(_ path: String) -> Bool {
        let fd = open(path, O_RDWR)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }
}

/// A small tmpfs of the test's own: a real full disk (ENOSPC) and a real read-only file system
/// (EROFS). Mounting needs CAP_SYS_ADMIN, which the tests have when they run as root.
public final class ScratchFileSystem {
    public let url: URL

    /// Whether this process may mount (tried once, with a throwaway mount).
    public static let isAvailable: Bool = {
        guard getuid() == 0, let probe = try? ScratchFileSystem(kilobytes: 64) else { return false }
        probe.remove()
        return true
    }()

    public init(kilobytes: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("otter-fs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        do {
            try run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k,mode=0700", "tmpfs", url.path])
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
    }

    /// Writes `file` until the file system has no room left.
    public func fill(_ file: URL) {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        guard let handle = try? FileHandle(forWritingTo: file) else { return }
        defer { try? handle.close() }
        let block = Data(repeating: 0x55, count: 4096)
        while (try? handle.write(contentsOf: block)) != nil {}
        // A last partial block may still fit.
        for size in [2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1] {
            while (try? handle.write(contentsOf: Data(count: size))) != nil {}
        }
        try? handle.synchronize()
    }

    public func remountReadOnly() throws {
        try run("/usr/bin/mount", ["-o", "remount,ro", url.path])
    }

    public func remove() {
        try? run("/usr/bin/umount", ["-l", url.path])
        try? FileManager.default.removeItem(at: url)
    }
}

public struct StorageConditionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

private func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw StorageConditionError("\(tool) \(arguments.joined(separator: " ")): "
                                    + String(decoding: message, as: UTF8.self))
    }
}
