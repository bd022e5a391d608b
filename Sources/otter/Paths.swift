import Foundation

/// Where Otter keeps its files, following the XDG base directory spec (tests point these
/// variables at temporary folders).
struct Paths {
    let environment: [String: String]

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    private func base(_ variable: String, default relative: String) -> URL {
        if let value = environment[variable], value.hasPrefix("/") { return URL(fileURLWithPath: value) }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(relative)
    }

    var config: URL { base("XDG_CONFIG_HOME", default: ".config").appendingPathComponent("otter") }
    var state: URL { base("XDG_STATE_HOME", default: ".local/state").appendingPathComponent("otter") }
    var cache: URL { base("XDG_CACHE_HOME", default: ".cache").appendingPathComponent("otter") }
    var log: URL { state.appendingPathComponent("log") }
}
