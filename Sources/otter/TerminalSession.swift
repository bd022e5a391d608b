import Foundation
import Logging
import MailService
import Terminal
import UI

/// Starts the terminal front end on the MainActor and runs it until the user quits.
enum TerminalSession {
    @MainActor
    static func run(service: MailService, account: String, paths: Paths, notices: [String]) async throws -> Int32 {
        let logger = Logger(label: "otter.ui")
        var warnings = notices
        if let cacheNotice = service.cache.openingNotice { warnings.append(cacheNotice) }
        var keymap = Keymap.default
        let userKeymap = paths.config.appendingPathComponent("keymaps.conf")
        if let text = try? String(contentsOf: userKeymap, encoding: .utf8) {
            let parsed = Keymap.parse(text, file: userKeymap.path, base: keymap)
            keymap = parsed.keymap
            warnings += parsed.warnings.map(\.description)
        }
        let terminal = try TerminalScreen()
        if let localeWarning = terminal.localeWarning { warnings.append(localeWarning) }
        let themeName = terminal.colorCapability == .none ? "monochrome" : "default"
        let (theme, themeWarnings) = Theme.parse(Theme.shipped(named: themeName)!, file: "\(themeName).conf")
        warnings += themeWarnings.map(\.description)
        for warning in warnings { logger.warning("\(warning)") }
        let app = AppController(terminal: terminal, service: service, account: account, keymap: keymap, theme: theme,
                                notices: warnings)
        return await app.run()
    }
}
