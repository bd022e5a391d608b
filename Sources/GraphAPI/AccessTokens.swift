import Foundation

/// Where bearer tokens come from: a sign-in's refresh, a user's token command, a fixed token.
/// A 401 invalidates the token that failed, and the client asks once more before giving up
/// (QUALITY.md Reliability 3: a 401 is never a delta reset).
public protocol AccessTokenSource: Sendable {
    func token() async throws -> String
    /// The server refused `token`; the next `token()` should not return it again.
    func invalidate(_ token: String) async
}

/// A token that never changes (the demo's, the emulator's `--token`, tests).
public struct FixedAccessToken: AccessTokenSource {
    let value: @Sendable () async throws -> String
    public init(_ value: @escaping @Sendable () async throws -> String) { self.value = value }
    public func token() async throws -> String { try await value() }
    public func invalidate(_ token: String) async {}
}

/// Runs the user's `access_token_command` (as aerc and mutt users do with oama or
/// mutt_oauth2.py) through `/bin/sh -c`, takes the first line of its output, and keeps it until
/// the server refuses it. The command is the user's own configuration, never mail data.
public actor CommandAccessToken: AccessTokenSource {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let command: String
    private let timeout: Duration
    private var cached: String?

    public init(command: String, timeout: Duration = .seconds(60)) {
        self.command = command
        self.timeout = timeout
    }

    public func token() async throws -> String {
        if let cached { return cached }
        let output = try await Self.run(command, timeout: timeout)
        guard let line = output.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !line.isEmpty else {
            throw Failure(description: "the access token command printed nothing")
        }
        cached = line
        return line
    }

    public func invalidate(_ token: String) {
        if cached == token { cached = nil }
    }

    /// Runs off the cooperative pool: Process and pipe reads block.
    static func run(_ command: String, timeout: Duration) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: Failure(description: "could not run the access token command: \(error)"))
                    return
                }
                let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
                let seconds = Double(timeout.components.seconds)
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: killer)
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                killer.cancel()
                guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                    continuation.resume(throwing: Failure(
                        description: "the access token command failed (exit status \(process.terminationStatus))"))
                    return
                }
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }
}
