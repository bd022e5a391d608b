import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One process owns a cache (QUALITY.md Reliability 6). An advisory `flock` on a lock file next
/// to the database: the kernel releases it when the process dies, even by kill -9, so a crash
/// never leaves a stale lock behind.
public final class CacheLock: Sendable {
    public struct Held: Error, CustomStringConvertible {
        public let path: String
        public let ownerPID: Int32?
        public var description: String {
            let owner = ownerPID.map { " (process \($0))" } ?? ""
            return "another otter is already using this mailbox\(owner); only one may at a time. Lock file: \(path)"
        }
    }

    private let descriptor: Int32

    public init(path: String) throws {
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM) {
            // A read-only cache (file system, folder or lock file): flock works on a descriptor
            // opened for reading too, and the cache then opens for reading (MailCache.isReadOnly).
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        }
        guard fd >= 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
                                                          NSLocalizedDescriptionKey: "cannot open the lock file \(path): \(String(cString: strerror(errno)))"])
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, buffer.count)
            close(fd)
            let pid = n > 0 ? Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            throw Held(path: path, ownerPID: pid)
        }
        // The owner's pid, so the second instance can say who holds it.
        _ = ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
