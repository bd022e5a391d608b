import Foundation
import ViewModels

/// The panes of the three-pane screen, in Tab order.
public enum Pane: Int, CaseIterable, Sendable {
    case folders, list, preview

    var context: KeyContext {
        switch self {
        case .folders: .folders
        case .list: .list
        case .preview: .reader
        }
    }
}

/// Everything one frame shows. The renderer is a pure function of this, so every screen can be
/// tested as text without a terminal.
public struct ScreenState: Sendable {
    public enum Mode: Sendable, Equatable { case panes, reader, help }

    public var folders = FolderTreeSnapshot()
    public var list = MessageListSnapshot()
    public var reader = ReaderSnapshot()
    public var status = StatusSnapshot()
    public var focus: Pane = .list
    public var mode: Mode = .panes
    /// First body line shown in the preview pane and in the full-screen reader.
    public var readerScroll = 0
    public var helpScroll = 0
    /// Keys typed so far of a multi-key binding (`g` of `gg`), shown so the user knows.
    public var pendingKeys = ""
    /// A one-off notice (configuration warnings, failed actions), shown in the status line.
    public var notice: String?
    /// The status-line prompt while the user types a search; keys go to it, not to the panes.
    var prompt: LineEditor?
    public var timeZone = TimeZone.current
    public var now = Date()

    public init() {}
}
