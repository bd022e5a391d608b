import Foundation
#if canImport(Glibc)
import Glibc
#endif

// A copy of Tests/MailCacheTests/StorageConditions.swift's scratch file system (test targets
// cannot share code): a real full disk for the service tests.

/// A small tmpfs of the test's own: a real full disk (ENOSPC) and a real read-only file system
/// (EROFS). Mounting needs CAP_SYS_ADMIN, which the tests have when they run as root.
final class ScratchFileSystem {
    let url: URL

    /// Whether this process may mount (tried once, with a throwaway mount).
    static let isAvailable: Bool = {
        guard getuid() == 0, let probe = try? ScratchFileSystem(kilobytes: 64) else { return false }
        probe.remove()
        return true
    }()

    init(kilobytes: Int) throws {
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
    func fill(_ file: URL) {
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

    func remountReadOnly() throws {
        try run("/usr/bin/mount", ["-o", "remount,ro", url.path])
    }

    func remove() {
        try? run("/usr/bin/umount", ["-l", url.path])
        try? FileManager.default.removeItem(at: url)
    }
}

struct StorageConditionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
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
