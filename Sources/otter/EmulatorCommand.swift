import ArgumentParser
import Dispatch
import Foundation
import GraphEmulator
import Logging

struct Emulator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve the built-in Microsoft Graph emulator on 127.0.0.1 for other tools and tests.",
        discussion: """
            The first line of output is `listening on http://127.0.0.1:PORT`; Graph lives under /v1.0 \
            and /beta. Every request needs `Authorization: Bearer TOKEN`: give a never-expiring token \
            with --token, use the one printed on the second line, or sign in with the device-code flow \
            at /common/oauth2/v2.0/devicecode and /token (approve at /_emulator/devicelogin).

            Tests and scripts steer the emulator through /_emulator/ (no token; this machine only): \
            deliver, update and move mail, approve sign-ins, expire tokens, change faults and throttling, \
            read request statistics, dump or reset the mailbox. Outlook's throttling applies: 4 concurrent \
            requests and 10,000 requests per 10 minutes per mailbox.

            Fault SPEC: rules separated by ';', each GLOB:ACTION[xCOUNT][:OPTION...], e.g. \
            'messages/delta:429x3:retry-after=2;*:latency=50'. ACTION is a status (429, 503, 504, ...), \
            latency=MS, reset, truncate, html or malformed=FIELD[=JSON]; OPTIONs are retry-after=S, nth=N, \
            count=N, p=PROBABILITY and for=DURATION; 'seed=N' seeds the probabilities. \
            docs/EMULATOR.md describes every endpoint and option. Stops on Ctrl-C or SIGTERM.
            """
    )

    @Option(help: "Port to listen on (0: one the system chooses).")
    var port: Int = 0

    @Option(help: "An access token the emulator accepts for the mailbox owner; it never expires.")
    var token: String?

    @OptionGroup var mailbox: MailboxOptions

    @Option(name: .customLong("latency-ms"), help: ArgumentHelp("Milliseconds added to every Graph and sign-in response.", valueName: "ms"))
    var latencyMilliseconds: Int = 0

    @Option(help: ArgumentHelp("A fault schedule, e.g. 'messages/delta:429x3:retry-after=2;*:latency=50' (see above).", valueName: "spec"))
    var faults: String?

    @Option(help: ArgumentHelp("Lifetime of access tokens issued by sign-in and refresh.", valueName: "seconds"))
    var tokenLifetime: Int = 3599

    @Option(help: ArgumentHelp("How long a device code can be redeemed.", valueName: "seconds"))
    var deviceCodeLifetime: Int = 900

    @Option(help: ArgumentHelp("The device-code polling interval; polling faster answers slow_down (0: never).", valueName: "seconds"))
    var pollInterval: Int = 5

    @Option(help: ArgumentHelp("Requests per window before 429 TooManyRequests, or 'off'.", valueName: "n[/seconds]"))
    var throttleBudget: String = "10000/600"

    @Option(help: ArgumentHelp("Concurrent requests before 429 ApplicationThrottled (MailboxConcurrency), or 'off'.", valueName: "n"))
    var maxConcurrent: String = "4"

    @Option(help: ArgumentHelp("Every n-th unfinished message-delta page repeats its last item on the next page, as Graph may (0: never).",
                               valueName: "n"))
    var deltaReplays: Int = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard latencyMilliseconds >= 0 else { throw ValidationError("--latency-ms must not be negative") }
        guard deltaReplays >= 0 else { throw ValidationError("--delta-replays must not be negative") }
        guard tokenLifetime >= 0, deviceCodeLifetime >= 0, pollInterval >= 0 else {
            throw ValidationError("--token-lifetime, --device-code-lifetime and --poll-interval must not be negative")
        }
        _ = try faultSchedule()
        _ = try throttling()
    }

    func run() async throws {
        _ = LogSetup.bootstrap(paths: Paths())
        let accessToken = token ?? UUID().uuidString.lowercased()
        var configuration = GraphEmulatorConfiguration()
        configuration.latencyMilliseconds = latencyMilliseconds
        configuration.deltaReplayEvery = deltaReplays > 0 ? deltaReplays : nil
        configuration.faults = try faultSchedule()
        configuration.throttling = try throttling()
        configuration.identity = IdentityConfiguration(
            accessTokenLifetime: .seconds(tokenLifetime), deviceCodeLifetime: .seconds(deviceCodeLifetime),
            pollingInterval: pollInterval)
        let (directory, messages, seed) = (mailbox.mailbox, mailbox.messages, mailbox.seed)
        // Built again from the same options by POST /_emulator/reset.
        let server = try GraphEmulatorServer(accessTokens: [accessToken], configuration: configuration) {
            if let directory { return Mailbox(content: try MailboxLoader.load(directory: URL(fileURLWithPath: directory))) }
            return Mailbox(messageCount: messages, seed: seed)
        }
        let url = try await server.start(port: port)
        // Written unbuffered: a script reads the first line to learn the port while we keep running.
        FileHandle.standardOutput.write(Data("listening on \(url.absoluteString)\naccess token: \(accessToken)\n".utf8))
        await waitForTerminationSignal()
        await server.stop()
    }

    private func faultSchedule() throws -> FaultSchedule {
        guard let faults else { return FaultSchedule() }
        do {
            return try FaultSchedule(spec: faults)
        } catch {
            throw ValidationError("--faults: \(error.description)")
        }
    }

    private func throttling() throws -> ThrottlingConfiguration {
        var limits = ThrottlingConfiguration()
        if maxConcurrent.lowercased() == "off" {
            limits.maxConcurrentRequests = nil
        } else {
            guard let limit = Int(maxConcurrent), limit >= 1 else { throw ValidationError("--max-concurrent takes a number of 1 or more, or 'off'") }
            limits.maxConcurrentRequests = limit
        }
        if throttleBudget.lowercased() == "off" {
            limits.budget = nil
        } else {
            let parts = throttleBudget.split(separator: "/", maxSplits: 1).map(String.init)
            guard let requests = Int(parts[0]), requests >= 1,
                  let seconds = parts.count > 1 ? Int(parts[1]) : 600, seconds >= 1
            else { throw ValidationError("--throttle-budget takes N or N/SECONDS (e.g. 10000/600), or 'off'") }
            limits.budget = RequestBudget(requests: requests, window: .seconds(seconds))
        }
        return limits
    }

    /// Suspends until SIGINT or SIGTERM (handled, so the server shuts down cleanly).
    private func waitForTerminationSignal() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in signals { break }
        sources.forEach { $0.cancel() }
    }
}
