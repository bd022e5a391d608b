// swift-tools-version:6.0
// Otter: a terminal mail reader for Outlook mailboxes over Microsoft Graph.
// Targets follow the layers of docs/ARCHITECTURE.md; dependencies point down only.
import PackageDescription

let package = Package(
    name: "Otter",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "otter", targets: ["otter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        // Already Hummingbird's; named here for the emulator's graceful shutdown (DECISIONS 18).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
    ],
    targets: [
        // C shims over ncursesw; only Terminal imports it.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw", providers: [.apt(["libncurses-dev"])]),
        // Screen, input, cells, styles, display width. Knows nothing about mail.
        .target(name: "Terminal", dependencies: ["CNcursesw"]),
        // Pure Sendable values shared by every layer, plus the one sanitiser.
        .target(name: "MailCore"),
        // HTTP client for Microsoft Graph: DTOs, paging, delta, errors.
        .target(name: "GraphAPI", dependencies: [
            "MailCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The local SQLite cache (GRDB): schema, windowed queries, observation.
        .target(name: "MailCache", dependencies: [
            "MailCore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The cached Graph service: sync engine and body fetch; the only layer that sees both.
        .target(name: "MailService", dependencies: [
            "MailCore", "GraphAPI", "MailCache",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Actor view models: intents in, immutable snapshots out.
        .target(name: "ViewModels", dependencies: ["MailCore", "MailService"]),
        // @MainActor panes, layout, keymap, themes.
        .target(name: "UI", dependencies: ["Terminal", "ViewModels", "MailCore"],
                // The shipped keymaps.conf and themes/ (symlinked here) are compiled in as the defaults.
                resources: [.embedInCode("Defaults/keymaps.conf"), .embedInCode("Defaults/default.conf"),
                            .embedInCode("Defaults/monochrome.conf")]),
        // A Graph-compatible server over an in-memory mailbox.
        .target(name: "GraphEmulator", dependencies: [
            "MailCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Composition root.
        .executableTarget(name: "otter", dependencies: [
            "UI", "ViewModels", "MailService", "MailCache", "GraphAPI", "GraphEmulator", "Terminal", "MailCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Unit tests, one target per module, plus end-to-end tests of the real binary in a pty.
        .testTarget(name: "MailCoreTests", dependencies: ["MailCore"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal"]),
        .testTarget(name: "GraphAPITests", dependencies: ["GraphAPI", "GraphEmulator", "MailCore"],
                    // Microsoft's documented example bodies (../shared/graph-samples), quirks included.
                    resources: [.copy("Fixtures")]),
        // Test helpers shared by several test targets: a full disk, a read-only file system.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MailCacheTests", dependencies: ["MailCache", "MailCore", "TestSupport"]),
        .testTarget(name: "MailServiceTests", dependencies: ["MailService", "MailCache", "GraphAPI", "GraphEmulator", "MailCore", "TestSupport"]),
        .testTarget(name: "ViewModelsTests", dependencies: ["ViewModels", "MailService", "MailCache", "GraphAPI", "GraphEmulator", "MailCore"]),
        .testTarget(name: "UITests", dependencies: ["UI", "ViewModels", "Terminal", "MailCore"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "GraphEmulatorTests", dependencies: ["GraphEmulator", "MailCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client")],
                    // Schemas extracted from Microsoft's OpenAPI/CSDL (scripts/extract-openapi-schemas.py),
                    // read by path from the conformance tests.
                    exclude: ["OpenAPI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["GraphEmulator", "MailCache", "MailCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
