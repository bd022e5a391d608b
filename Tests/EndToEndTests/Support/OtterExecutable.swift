import Foundation

/// The `otter` executable built alongside the tests.
///
/// Looks, in order, at `$OTTER_EXECUTABLE`, next to the running test binary (on Linux
/// `.build/<triple>/debug/OtterPackageTests.xctest`, whose directory also holds `otter`), and at
/// `.build/debug/otter` under the package root found by walking up from `filePath`.
public func otterExecutableURL(filePath: String = #filePath) throws -> URL {
    try builtExecutableURL(named: "otter", filePath: filePath)
}

func builtExecutableURL(named name: String, filePath: String = #filePath) throws -> URL {
    var candidates: [URL] = []
    if let override = ProcessInfo.processInfo.environment["OTTER_EXECUTABLE"], name == "otter" {
        candidates.append(URL(fileURLWithPath: override))
    }
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent(name))
    var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            candidates.append(directory.appendingPathComponent(".build/debug").appendingPathComponent(name))
            break
        }
        directory.deleteLastPathComponent()
    }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
        return found
    }
    throw PTYError("""
        the \(name) executable was not found; build it first (`swift build`, or `swift build --build-tests`). \
        Looked at: \(candidates.map(\.path).joined(separator: ", "))
        """)
}
