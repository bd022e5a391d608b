import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

public struct GraphEmulatorConfiguration: Sendable {
    /// Page size of message and folder delta when the request has neither
    /// `Prefer: odata.maxpagesize` nor `$top`. Graph does not document its own default; 10
    /// matches its other mail collections.
    public var defaultDeltaPageSize: Int
    /// Upper bound for `odata.maxpagesize` and delta `$top` (larger values are reduced to it).
    public var maximumDeltaPageSize: Int
    public var logger: Logger
    /// Sign-in: token lifetimes and the device-code polling interval.
    public var identity = IdentityConfiguration()
    /// Outlook's per-mailbox limits: 4 concurrent requests, 10,000 requests per 10 minutes.
    public var throttling = ThrottlingConfiguration()
    /// The fault schedule the server starts with (`POST /_emulator/faults` replaces it).
    public var faults = FaultSchedule()
    /// Added to every Graph and sign-in response.
    public var latencyMilliseconds = 0
    /// Graph warns that "the same change [can appear] in subsequent responses": with a value
    /// N, every N-th unfinished message-delta page (chosen by its token, so deterministic)
    /// hands the next page a cursor one item back, and the next page repeats that item.
    /// nil (the default) never replays.
    public var deltaReplayEvery: Int?

    public init(defaultDeltaPageSize: Int = 10, maximumDeltaPageSize: Int = 1000, logger: Logger? = nil) {
        self.defaultDeltaPageSize = defaultDeltaPageSize
        self.maximumDeltaPageSize = maximumDeltaPageSize
        if let logger {
            self.logger = logger
        } else {
            var quiet = Logger(label: "otter.graph-emulator")
            quiet.logLevel = .warning
            self.logger = quiet
        }
    }
}

public enum GraphEmulatorServerError: Error, Equatable {
    /// The server stopped before it was listening.
    case stoppedBeforeListening
}

/// A Microsoft Graph-compatible HTTP server over a `Mailbox`, for tests, `otter demo` and
/// `otter emulator`. Plain HTTP on loopback only.
public actor GraphEmulatorServer {
    /// Tokens valid for the owner's mailbox until the server ends (besides signed-in ones).
    public nonisolated let accessTokens: Set<String>
    public nonisolated let configuration: GraphEmulatorConfiguration
    nonisolated let runtime: EmulatorRuntime
    private var serviceGroup: ServiceGroup?
    private var runTask: Task<Void, Never>?
    /// Shared by concurrent `start()` calls.
    private var startup: Task<URL, any Error>?
    /// The base URL once listening, e.g. `http://127.0.0.1:49213`.
    public private(set) var baseURL: URL?

    public init(mailbox: Mailbox, accessTokens: Set<String>, configuration: GraphEmulatorConfiguration = .init()) {
        self.accessTokens = accessTokens
        self.configuration = configuration
        runtime = EmulatorRuntime(mailbox: mailbox, makeMailbox: nil, staticTokens: accessTokens, configuration: configuration)
    }

    /// A server whose mailbox `makeMailbox` builds, now and again on `POST /_emulator/reset`.
    public init(
        accessTokens: Set<String>, configuration: GraphEmulatorConfiguration = .init(),
        makeMailbox: @escaping @Sendable () throws -> Mailbox
    ) throws {
        self.accessTokens = accessTokens
        self.configuration = configuration
        runtime = EmulatorRuntime(
            mailbox: try makeMailbox(), makeMailbox: makeMailbox, staticTokens: accessTokens, configuration: configuration)
    }

    /// The mailbox served now; `POST /_emulator/reset` replaces it with a fresh one.
    public nonisolated var mailbox: Mailbox { runtime.mailbox }

    /// Requests admitted and not yet answered (the throttle's count).
    public nonisolated var requestsInFlight: Int { runtime.throttle.snapshot().inFlight }

    /// Request counts per endpoint template (`GET /me/messages/{id}`) and status, as
    /// `GET /_emulator/stats` reports them.
    public nonisolated func requestCounts() -> [String: [Int: Int]] { runtime.statistics.snapshot() }

    /// TCP connections accepted so far, as `GET /_emulator/connections` reports them.
    public nonisolated var connectionsOpened: Int { runtime.connections.openedCount }

    /// Replaces the fault schedule, as `POST /_emulator/faults` does.
    public nonisolated func installFaults(_ schedule: FaultSchedule) { runtime.faults.install(schedule) }

    /// Starts listening and returns the base URL (`http://host:port`; append `/v1.0` or
    /// `/beta`). Port 0 lets the OS choose. Calling it again returns the same URL.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> URL {
        if let startup { return try await startup.value }
        let task = Task { try await self.launch(host: host, port: port) }
        startup = task
        do {
            return try await task.value
        } catch {
            startup = nil
            throw error
        }
    }

    private func launch(host: String, port: Int) async throws -> URL {
        let (events, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        let responder = GraphResponder(runtime: runtime, configuration: configuration)
        // HummingbirdCore logs each connection a client cuts at error level, so its own logger
        // only speaks up when debugging.
        var serverLogger = configuration.logger
        if serverLogger.logLevel > .debug { serverLogger.logLevel = .critical }
        let runtime = self.runtime
        let application = Application(
            responder: responder,
            // The handlers are asked for once per accepted connection: that is where it is counted.
            server: .http1(configuration: .init(additionalChannelHandlers: {
                runtime.connections.recordOpened()
                return []
            }())),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                continuation.yield(.success(channel.localAddress?.port ?? port))
            },
            logger: serverLogger)
        // Run in a service group so stop() can shut down gracefully: cancelling the server's task
        // instead traps in NIO when a connection was accepted but not yet served
        // (swift-nio#3481: "Deinited NIOAsyncWriter without calling finish()").
        let group = ServiceGroup(configuration: .init(services: [application], logger: serverLogger))
        serviceGroup = group
        runTask = Task {
            do {
                try await group.run()
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        for await event in events {
            switch event {
            case .success(let boundPort):
                let hostPart = host.contains(":") ? "[\(host)]" : host
                let url = URL(string: "http://\(hostPart):\(boundPort)")!
                baseURL = url
                return url
            case .failure(let error):
                runTask = nil
                throw error
            }
        }
        runTask = nil
        throw GraphEmulatorServerError.stoppedBeforeListening
    }

    /// Stops the server and waits until it has closed its socket.
    public func stop() async {
        if let startup { _ = try? await startup.value }
        startup = nil
        guard let runTask else { return }
        self.runTask = nil
        baseURL = nil
        // Stops accepting, lets requests under way finish, closes idle connections.
        await serviceGroup?.triggerGracefulShutdown()
        serviceGroup = nil
        await runTask.value
    }
}
