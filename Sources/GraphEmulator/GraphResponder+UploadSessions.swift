import Foundation
import Hummingbird

/// The pre-authenticated upload URL of `createUploadSession`:
/// `PUT|DELETE /api/v2.0/Users('…')/Messages('…')/AttachmentSessions('…')?authtoken=…`.
///
/// No `Authorization` header is needed (the docs say not to send one): the `authtoken` in the
/// URL is the credential. Ranges must come in order; each intermediate PUT answers 200 with
/// the next expected offset, the last one 201 with the attachment's URL in `Location`.
extension GraphResponder {
    /// A single range may be larger than Graph's 4 MB request limit ("keep each byte range
    /// less than 4 MB" is advice for performance), but not without bound.
    static let maximumUploadRangeBytes = 64 * 1024 * 1024

    func uploadSessionResponse(_ request: Request, segments: [String]) async throws -> Response {
        guard segments.count >= 4, segments[segments.count - 2].lowercased() == "attachmentsessions" else {
            throw GraphError(status: .notFound, code: "ResourceNotFound", message: "Resource could not be discovered.")
        }
        let sessionID = segments[segments.count - 1]
        let token = try QueryOptions(rawQuery: request.uri.query).value("authtoken")
        let linkBase = "http://\(request.head.authority ?? "localhost")"
        switch request.method {
        case .delete:
            guard await mailbox.cancelUpload(sessionID: sessionID, token: token) else { throw Self.sessionNotFound }
            return Response(status: .noContent)
        case .put:
            break
        default:
            throw GraphError.methodNotAllowed(request.method)
        }
        guard let range = request.headers[.contentRange].flatMap(Self.parseContentRange) else {
            throw GraphError.badRequest(
                "A range upload needs a Content-Range header of the form 'bytes {start}-{end}/{total}'.", code: "invalidRequest")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumUploadRangeBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw GraphError(status: .contentTooLarge, code: "RequestEntityTooLarge", message: "The byte range is too large.")
        }
        let progress: Mailbox.UploadProgress
        do {
            progress = try await mailbox.upload(
                sessionID: sessionID, token: token, start: range.start, end: range.end, total: range.total,
                bytes: Array(body.readableBytesView))
        } catch .sessionNotFound {
            throw Self.sessionNotFound
        } catch .unexpectedRange(let next) {
            throw GraphError(
                status: .rangeNotSatisfiable, code: "invalidRange",
                message: "The uploaded range does not start at the next expected byte (\(next)); ranges must be sent in order.")
        } catch .invalid(let message) {
            throw GraphError.badRequest(message, code: "invalidRequest")
        }
        switch progress {
        case .partial(let next, let expiration):
            var json = JSONWriter()
            json.beginObject()
            let user = GraphHandlers.encodedKey(mailbox.owner.id)
            let message = GraphHandlers.encodedKey(segments.count >= 6 ? segments[5] : "")
            json.field(
                "@odata.context",
                "\(linkBase)/api/v2.0/$metadata#Users('\(user)')/Messages('\(message)')/AttachmentSessions/$entity")
            // The documented example writes these two names in different cases; so does the emulator.
            json.field("ExpirationDateTime", GraphDate.format(GraphDate.seconds(expiration)))
            json.key("nextExpectedRanges")
            json.beginArray()
            json.string(String(next))
            json.endArray()
            json.endObject()
            var headers = HTTPFields()
            headers[.contentType] = Self.jsonContentType
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.bytes)))
        case .complete(let message, let attachmentID):
            var headers = HTTPFields()
            headers[.location] = "\(linkBase)/api/v2.0/Users('\(mailbox.owner.id)')/Messages('"
                + "\(GraphHandlers.encodedKey(message.id))')/Attachments('\(GraphHandlers.encodedKey(attachmentID))')"
            headers[.contentLength] = "0"
            return Response(status: .created, headers: headers)
        }
    }

    private static let sessionNotFound = GraphError(
        status: .notFound, code: "ErrorItemNotFound",
        message: "The upload session does not exist: it was completed, cancelled or has expired.")

    /// `bytes 0-2097151/3483322`.
    static func parseContentRange(_ text: String) -> (start: Int, end: Int, total: Int)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6)
        let halves = spec.split(separator: "/")
        guard halves.count == 2, let total = Int(halves[1]) else { return nil }
        let bounds = halves[0].split(separator: "-")
        guard bounds.count == 2, let start = Int(bounds[0]), let end = Int(bounds[1]) else { return nil }
        return (start, end, total)
    }
}
