import Foundation
import Hummingbird

/// What the fault schedule decided for one request.
struct FaultDecision: Sendable, Equatable {
    /// Added by every latency rule that fired.
    var latencyMilliseconds = 0
    /// The first non-latency rule that fired, if any.
    var action: FaultAction?

    static let none = FaultDecision()
}

/// The installed fault schedule and its counters.
final class FaultInjector: Sendable {
    struct RuleState: Sendable {
        var rule: FaultRule
        /// `until`, or the install time plus `activeFor`, whichever is earlier.
        var deadline: Date?
        /// Matching requests so far.
        var seen = 0
        /// Times the rule fired.
        var fired = 0
        var random: SplitMix64
    }

    private struct State: Sendable {
        var schedule: FaultSchedule
        var rules: [RuleState]
    }

    private let state: Locked<State>

    init(_ schedule: FaultSchedule) {
        state = Locked(State(schedule: schedule, rules: Self.states(for: schedule)))
    }

    /// Replaces the schedule; counters start again from zero.
    func install(_ schedule: FaultSchedule) {
        let rules = Self.states(for: schedule)
        state.withLock { $0 = State(schedule: schedule, rules: rules) }
    }

    var schedule: FaultSchedule { state.withLock { $0.schedule } }

    var ruleStates: [RuleState] { state.withLock { $0.rules } }

    private static func states(for schedule: FaultSchedule) -> [RuleState] {
        let now = Date()
        return schedule.rules.enumerated().map { index, rule in
            var deadline = rule.until
            if let activeFor = rule.activeFor {
                let end = now.addingTimeInterval(activeFor.seconds)
                deadline = deadline.map { min($0, end) } ?? end
            }
            return RuleState(rule: rule, deadline: deadline, random: SplitMix64(seed: StableHash.mix(schedule.seed, UInt64(index))))
        }
    }

    /// Runs the schedule for one request. `inBatch` requests skip transport faults, which
    /// belong to an HTTP exchange of their own.
    func decide(method: String, path: String, template: String, inBatch: Bool) -> FaultDecision {
        let now = Date()
        return state.withLock { state in
            guard !state.rules.isEmpty else { return .none }
            var decision = FaultDecision()
            for index in state.rules.indices {
                let rule = state.rules[index].rule
                if inBatch, rule.action.isTransport { continue }
                guard rule.matches(method: method, path: path, template: template) else { continue }
                state.rules[index].seen += 1
                let isLatency: Bool
                if case .latency = rule.action { isLatency = true } else { isLatency = false }
                if !isLatency, decision.action != nil { continue }
                let current = state.rules[index]
                guard current.seen >= rule.nth else { continue }
                if let count = rule.count, current.fired >= count { continue }
                if let deadline = current.deadline, now >= deadline { continue }
                if rule.probability < 1, !state.rules[index].random.chance(rule.probability) { continue }
                state.rules[index].fired += 1
                if case .latency(let milliseconds) = rule.action {
                    decision.latencyMilliseconds += milliseconds
                } else {
                    decision.action = rule.action
                }
            }
            return decision
        }
    }
}

// MARK: - Transport faults

/// Applies the faults that damage an HTTP exchange rather than replace its answer.
enum TransportFault {
    struct ConnectionReset: Error {}

    static func apply(_ fault: FaultAction, to response: Response) async -> Response {
        var response = response
        switch fault {
        case .reset:
            let bytes = await collect(response.body)
            let sent = bytes.count / 2
            // Content-Length promises the whole body; the connection closes after half of it.
            response.body = ResponseBody(contentLength: max(bytes.count, 1)) { writer in
                if sent > 0 { try await writer.write(ByteBuffer(bytes: bytes[..<sent])) }
                throw ConnectionReset()
            }
        case .truncate:
            let bytes = await collect(response.body)
            response.body = ResponseBody(byteBuffer: ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
        case .html:
            var headers = HTTPFields()
            for name in [GraphResponder.requestIDName, GraphResponder.clientRequestIDName] {
                if let value = response.headers[name] { headers[name] = value }
            }
            headers[.contentType] = "text/html; charset=utf-8"
            response = Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: htmlPage)))
        case .malformed(let field, let value):
            let bytes = await collect(response.body)
            if let rewritten = JSONFieldRewriter.replacing(field: field, with: Array(value.utf8), in: bytes) {
                response.body = ResponseBody(byteBuffer: ByteBuffer(bytes: rewritten))
            }
        case .status, .latency:
            break
        }
        return response
    }

    /// A page like the ones proxies and captive portals answer with, status 200 included.
    static let htmlPage = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Sign in to the network</title></head>
        <body><h1>Network access requires sign-in</h1>
        <p>Your connection was intercepted by a web proxy. Open a browser to continue.</p></body></html>

        """

    private final class Sink: @unchecked Sendable {
        // @unchecked: written by one body writer at a time, read after it has finished.
        var bytes: [UInt8] = []
    }

    private struct SinkWriter: ResponseBodyWriter {
        let sink: Sink

        mutating func write(_ buffer: ByteBuffer) async throws {
            sink.bytes.append(contentsOf: buffer.readableBytesView)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// The whole body of a response built in memory (or streamed by a handler).
    static func collect(_ body: ResponseBody) async -> [UInt8] {
        let sink = Sink()
        try? await body.write(SinkWriter(sink: sink))
        return sink.bytes
    }
}

/// Rewrites the values of a named member anywhere in a JSON document, leaving every other
/// byte as it was (key order and spacing included).
enum JSONFieldRewriter {
    /// nil when the field does not occur or the text is not JSON.
    static func replacing(field: String, with value: [UInt8], in json: [UInt8]) -> [UInt8]? {
        let name = Array(field.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(json.count + 64)
        var index = 0
        var replaced = false
        while index < json.count {
            let byte = json[index]
            guard byte == UInt8(ascii: "\"") else {
                output.append(byte)
                index += 1
                continue
            }
            guard let end = stringEnd(json, from: index) else { return nil }
            output.append(contentsOf: json[index..<end])
            let isTarget = end - index - 2 == name.count && json[(index + 1)..<(end - 1)].elementsEqual(name)
            index = end
            // A string followed by a colon is a member name.
            var cursor = skipSpace(json, from: index)
            guard cursor < json.count, json[cursor] == UInt8(ascii: ":"), isTarget else { continue }
            cursor = skipSpace(json, from: cursor + 1)
            guard let valueEnd = valueEnd(json, from: cursor) else { return nil }
            output.append(contentsOf: json[index..<cursor])
            output.append(contentsOf: value)
            index = valueEnd
            replaced = true
        }
        return replaced ? output : nil
    }

    private static func skipSpace(_ json: [UInt8], from start: Int) -> Int {
        var index = start
        while index < json.count, [0x20, 0x09, 0x0A, 0x0D].contains(json[index]) { index += 1 }
        return index
    }

    /// The index after the closing quote of the string starting at `start`.
    private static func stringEnd(_ json: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    /// The index after the JSON value starting at `start`.
    private static func valueEnd(_ json: [UInt8], from start: Int) -> Int? {
        guard start < json.count else { return nil }
        switch json[start] {
        case UInt8(ascii: "\""):
            return stringEnd(json, from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < json.count {
                switch json[index] {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(json, from: index) else { return nil }
                    index = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        default:
            var index = start
            while index < json.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(json[index]) {
                index += 1
            }
            return index > start ? index : nil
        }
    }
}
