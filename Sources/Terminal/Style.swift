/// A colour as a theme asks for it; the screen downsamples it to what the terminal can show.
public enum TerminalColor: Hashable, Sendable {
    /// The terminal's own foreground or background colour.
    case `default`
    /// An xterm palette index: 0-7 basic, 8-15 bright, 16-231 the 6×6×6 cube, 232-255 greys.
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let italic = TextAttributes(rawValue: 1 << 2)
    public static let underline = TextAttributes(rawValue: 1 << 3)
    public static let reverse = TextAttributes(rawValue: 1 << 4)
}

public struct CellStyle: Hashable, Sendable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var attributes: TextAttributes

    public init(foreground: TerminalColor = .default, background: TerminalColor = .default, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = CellStyle()
}

/// How many colours the screen may use.
public enum ColorCapability: Sendable, Hashable {
    /// `NO_COLOR` or a terminal without colours: attributes (bold, reverse…) only.
    case none
    case eight
    case twoFiftySix
    /// 24-bit colour through a terminfo entry with the `RGB` capability (`xterm-direct`…).
    case direct

    /// Pure so it can be tested without a terminal.
    /// - Parameters:
    ///   - colors: terminfo `colors` (ncurses `COLORS` after `start_color`), 0 or less when none.
    ///   - hasRGB: terminfo `RGB` flag: colour numbers are `0xRRGGBB` values.
    public static func detect(environment: [String: String], colors: Int, hasRGB: Bool) -> ColorCapability {
        // no-color.org: "when present and not an empty string (regardless of its value)".
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .none }
        if colors < 8 { return .none }
        // RGB alone is not enough: the colour numbers must also span 24 bits for 0xRRGGBB to be valid.
        if hasRGB && colors >= 0x100_0000 { return .direct }
        if colors >= 256 { return .twoFiftySix }
        return .eight
    }
}

extension TerminalColor {
    public func downsampled(to capability: ColorCapability) -> TerminalColor {
        switch (capability, self) {
        case (_, .default), (.none, _):
            return .default
        case (.direct, _):
            return self
        case (.twoFiftySix, .indexed):
            return self
        case (.twoFiftySix, .rgb(let r, let g, let b)):
            return .indexed(Palette.nearestXterm256(Int(r), Int(g), Int(b)))
        case (.eight, .indexed(let index)):
            if index < 8 { return self }
            if index < 16 { return .indexed(index - 8) }
            let (r, g, b) = Palette.rgb(ofIndex: index)
            return .indexed(Palette.nearestBasic(r, g, b))
        case (.eight, .rgb(let r, let g, let b)):
            return .indexed(Palette.nearestBasic(Int(r), Int(g), Int(b)))
        }
    }
}

/// The xterm default palette and the nearest-colour searches used for downsampling.
enum Palette {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// xterm's defaults for the 16 ANSI colours (what most terminals ship with).
    static let ansi: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static func rgb(ofIndex index: UInt8) -> (Int, Int, Int) {
        let i = Int(index)
        switch i {
        case 0..<16:
            return ansi[i]
        case 16..<232:
            let n = i - 16
            return (cubeLevels[n / 36], cubeLevels[(n / 6) % 6], cubeLevels[n % 6])
        default:
            let level = 8 + (i - 232) * 10
            return (level, level, level)
        }
    }

    /// Nearest entry of the 6×6×6 cube or the grey ramp (16-255). The 16 ANSI colours are
    /// skipped on purpose: users redefine them, so they are not a reliable match for an exact RGB.
    static func nearestXterm256(_ ri: Int, _ gi: Int, _ bi: Int) -> UInt8 {
        func nearestLevel(_ v: Int) -> Int {
            var best = 0
            for (i, level) in cubeLevels.enumerated() where abs(level - v) < abs(cubeLevels[best] - v) {
                best = i
            }
            return best
        }
        let (cr, cg, cb) = (nearestLevel(ri), nearestLevel(gi), nearestLevel(bi))
        let cubeIndex = 16 + 36 * cr + 6 * cg + cb
        let cubeDistance = distance((ri, gi, bi), (cubeLevels[cr], cubeLevels[cg], cubeLevels[cb]))

        let average = (ri + gi + bi) / 3
        let greyStep = min(max((average - 3) / 10, 0), 23)
        var bestGrey = greyStep
        for candidate in [greyStep, min(greyStep + 1, 23)] {
            let l = 8 + candidate * 10, lb = 8 + bestGrey * 10
            if distance((ri, gi, bi), (l, l, l)) < distance((ri, gi, bi), (lb, lb, lb)) { bestGrey = candidate }
        }
        let greyLevel = 8 + bestGrey * 10
        let greyDistance = distance((ri, gi, bi), (greyLevel, greyLevel, greyLevel))
        return UInt8(greyDistance < cubeDistance ? 232 + bestGrey : cubeIndex)
    }

    /// Maps to one of the 8 basic colours by hue rather than by plain RGB distance, which would
    /// turn every dark colour black (invisible on a dark terminal). Near-greys go to black or white
    /// by brightness; other colours keep each channel that is at least half of the strongest one.
    static func nearestBasic(_ ri: Int, _ gi: Int, _ bi: Int) -> UInt8 {
        let high = max(ri, gi, bi), low = min(ri, gi, bi)
        if high < 48 { return 0 }
        if (high - low) * 4 < high {
            return high < 80 ? 0 : 7
        }
        var index: UInt8 = 0
        if ri * 2 >= high { index |= 1 }
        if gi * 2 >= high { index |= 2 }
        if bi * 2 >= high { index |= 4 }
        return index
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
