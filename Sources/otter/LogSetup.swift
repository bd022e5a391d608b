import Foundation
import Logging

enum LogSetup {
    struct Setup {
        var warnings: [String]
    }

    /// Sends every log line to the log file; `OTTER_LOG_LEVEL` (trace … critical) sets the level.
    static func bootstrap(paths: Paths) -> Setup {
        var warnings: [String] = []
        let environment = ProcessInfo.processInfo.environment
        var level = Logger.Level.info
        if let name = environment["OTTER_LOG_LEVEL"] {
            if let parsed = Logger.Level(rawValue: name.lowercased()) { level = parsed } else {
                warnings.append("OTTER_LOG_LEVEL=\(name) is not a log level; using info")
            }
        }
        let sink = LogSink(url: paths.log)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink, level: level) }
        return Setup(warnings: warnings)
    }
}
