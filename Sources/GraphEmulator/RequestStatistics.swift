import Foundation
import Hummingbird

/// Request counts per endpoint template and status, for `GET /_emulator/stats`: benchmarks
/// count the requests a client made with it.
final class RequestStatistics: Sendable {
    private let counts = Locked<[String: [Int: Int]]>([:])

    func record(_ key: String, status: Int) {
        counts.withLock { $0[key, default: [:]][status, default: 0] += 1 }
    }

    func snapshot() -> [String: [Int: Int]] {
        counts.withLock { $0 }
    }

    func clear() {
        counts.withLock { $0.removeAll() }
    }
}

/// TCP connections accepted, for `GET /_emulator/connections`: whether a client reused a
/// keep-alive connection or opened a new one (a client should open a new one after a 503).
final class ConnectionStatistics: Sendable {
    private let opened = Locked(0)

    func recordOpened() {
        opened.withLock { $0 += 1 }
    }

    var openedCount: Int { opened.withLock { $0 } }
}

/// Endpoint templates: a request path with its keys replaced by `{id}`, e.g.
/// `GET /v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=…` is
/// `GET /me/mailFolders/{id}/messages/delta`. The version is left out, so v1.0 and beta
/// calls of one endpoint add up; sign-in calls are `POST /{tenant}/oauth2/v2.0/token`.
enum EndpointTemplate {
    /// `METHOD /template`; `inBatch` marks a request made inside `$batch`.
    static func key(method: String, path: String, inBatch: Bool = false) -> String {
        "\(inBatch ? "$batch " : "")\(method.uppercased()) \(template(path: path))"
    }

    static func template(path: String) -> String {
        let path = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        guard var segments = try? GraphRequest.segments(of: path) else { return path }
        if segments.count >= 3, segments[1].lowercased() == "oauth2" {
            return "/{tenant}/" + segments.dropFirst().joined(separator: "/")
        }
        if let first = segments.first, GraphRequest.Version(rawValue: first.lowercased()) != nil {
            segments.removeFirst()
        }
        return "/" + segments.map { segment in
            var name = segment.lowercased()
            if name.hasPrefix("microsoft.graph.") { name.removeFirst("microsoft.graph.".count) }
            return vocabulary[name] ?? "{id}"
        }.joined(separator: "/")
    }

    /// Segment names of the Graph mail API (and OData's `$` segments), by lower-cased name;
    /// anything else in a path is a key.
    static let vocabulary: [String: String] = Dictionary(uniqueKeysWithValues: [
        "me", "users", "mailFolders", "childFolders", "messages", "delta", "attachments", "$value", "$count",
        "$batch", "$ref", "$metadata", "move", "copy", "createReply", "createReplyAll", "createForward", "reply",
        "replyAll", "forward", "send", "sendMail", "translateExchangeIds", "inferenceClassification", "overrides",
        "outlook", "masterCategories", "mailboxSettings", "automaticRepliesSetting", "dateFormat", "timeFormat",
        "timeZone", "language", "workingHours", "userPurpose", "delegateMeetingMessageDeliveryOptions",
        "archiveFolder", "getMailTips", "createUploadSession", "mentions", "messageRules", "extensions",
        "singleValueExtendedProperties", "multiValueExtendedProperties", "permanentDelete", "markAsJunk",
        "markAsNotJunk", "uploadSession", "uploadSessions",
        // Attachment upload URLs: /api/v2.0/Users('…')/Messages('…')/AttachmentSessions('…').
        "api", "v2.0", "attachmentSessions",
    ].map { ($0.lowercased(), $0) })
}
