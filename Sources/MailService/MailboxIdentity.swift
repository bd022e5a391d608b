import Foundation
import GraphAPI
import MailCache
import MailCore

/// Whose mailbox the cache holds, in the words the user knows it by: the address Graph reports
/// for `/me` (or `/users/{id}`), not the local `--account` name.
extension MailService {
    static let mailboxAddressKey = "mailbox.address"

    /// The mailbox's address, sanitised; nil until a sync round has asked the server.
    public nonisolated var mailboxAddress: String? {
        guard let stored = try? cache.metaValue(Self.mailboxAddressKey), !stored.isEmpty else { return nil }
        return TextSanitizer.oneLine(stored)
    }

    /// Asks once per cache (one request on the first round). A failure here is not worth failing
    /// a sync round over: the status line keeps the account name and the next round asks again.
    func learnMailboxAddress() async {
        guard mailboxAddress == nil else { return }
        guard let user = try? await graph.me(),
              let address = [user.mail, user.userPrincipalName].compactMap({ $0 }).first(where: { !$0.isEmpty }) else { return }
        try? cache.setMetaValue(address, forKey: Self.mailboxAddressKey)
    }
}
