import ArgumentParser
import Foundation
import GraphAPI
import Logging
import MailCache
import MailService

/// How to reach a mailbox: the options `otter` and `otter sync` share.
struct AccountOptions: ParsableArguments {
    @Option(help: "Account name: each account has its own cache under $XDG_CACHE_HOME/otter/<name>.")
    var account: String = "default"

    @Option(help: ArgumentHelp("Graph endpoint, e.g. https://graph.microsoft.com/v1.0, or a Graph-compatible server such as `otter emulator`.",
                               valueName: "url"))
    var graphURL: String = "https://graph.microsoft.com/v1.0"

    @Option(help: ArgumentHelp("A shell command that prints an access token on its first line (as aerc's and mutt's token helpers do).",
                               valueName: "command"))
    var accessTokenCommand: String?

    @Option(help: .hidden)
    var deltaPageSize: Int = 1000

    /// Leaves `Prefer: IdType="ImmutableId"` out (a server without immutable ids; tests of the id migration).
    @Flag(name: .customLong("regular-ids"), help: .hidden)
    var regularIDs = false

    func validate() throws {
        guard (1...1000).contains(deltaPageSize) else { throw ValidationError("--delta-page-size must be 1 to 1000") }
        guard !account.isEmpty, account.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }),
              !account.hasPrefix(".") else {
            throw ValidationError("--account may use letters, digits, '.', '_', '-' and '@' only")
        }
        guard URL(string: graphURL)?.host != nil else { throw ValidationError("--graph-url is not a URL: \(graphURL)") }
    }

    /// The cache of this account, locked for this process, and a client for its Graph endpoint.
    func openService(paths: Paths) throws -> MailService {
        guard let accessTokenCommand else {
            throw ValidationError("""
                Otter has no signed-in account yet (the sign-in commands are not built yet). \
                Point it at a Graph endpoint with --graph-url URL --access-token-command COMMAND, \
                or try `otter demo`.
                """)
        }
        let graph = GraphClient(configuration: try GraphConfiguration(baseURL: URL(string: graphURL)!, immutableIDs: !regularIDs),
                                tokens: CommandAccessToken(command: accessTokenCommand),
                                logger: Logger(label: "otter.graph"))
        let cache = try MailCache.open(at: paths.cache.appendingPathComponent(account).appendingPathComponent("cache.sqlite"),
                                       exclusive: true)
        let actions = try ActionStore.open(at: paths.state.appendingPathComponent(account).appendingPathComponent("pending.sqlite"))
        return try MailService(graph: graph, cache: cache, actions: actions, deltaPageSize: deltaPageSize,
                               logger: Logger(label: "otter.service"))
    }
}

/// How often the TUI syncs by itself.
struct PollingOptions: ParsableArguments {
    @Option(help: "Seconds between full sync rounds.")
    var pollInterval: Int = 300

    @Option(help: "Seconds between syncs of the folder on screen.")
    var activePollInterval: Int = 30

    func validate() throws {
        guard pollInterval >= 5, activePollInterval >= 2 else {
            throw ValidationError("--poll-interval must be at least 5 seconds and --active-poll-interval at least 2")
        }
    }

    func start(_ service: MailService) -> Task<Void, Never> {
        let (full, active) = (pollInterval, activePollInterval)
        return Task { await service.poll(every: .seconds(full), activeFolderEvery: .seconds(active)) }
    }
}
