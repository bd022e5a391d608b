import Testing
import Terminal

@Suite struct ColorTests {
    @Test func pureRGBMapsToTheCube() {
        #expect(TerminalColor.rgb(255, 0, 0).downsampled(to: .twoFiftySix) == .indexed(196))
        #expect(TerminalColor.rgb(0, 0, 255).downsampled(to: .twoFiftySix) == .indexed(21))
        #expect(TerminalColor.rgb(255, 255, 255).downsampled(to: .twoFiftySix) == .indexed(231))
        #expect(TerminalColor.rgb(0x5F, 0x87, 0xAF).downsampled(to: .twoFiftySix) == .indexed(67))
    }

    @Test(arguments: [UInt8(30), 60, 100, 128, 150, 200, 230])
    func greysMapToTheGreyRamp(_ level: UInt8) throws {
        let result = TerminalColor.rgb(level, level, level).downsampled(to: .twoFiftySix)
        guard case .indexed(let index) = result else {
            Issue.record("expected an index, got \(result)")
            return
        }
        #expect((232...255).contains(index))
        // The ramp is 8, 18, …, 238: the chosen step is the nearest one.
        let chosen = 8 + (Int(index) - 232) * 10
        #expect(abs(chosen - Int(level)) <= 5)
    }

    @Test func indexedColoursMapToSensibleBasicColours() {
        let expected: [(UInt8, UInt8)] = [
            (196, 1), (46, 2), (226, 3), (21, 4), (201, 5), (51, 6), (232, 0), (255, 7),
            (88, 1), (9, 1), (15, 7), (3, 3), (244, 7), (236, 0), (214, 3),
        ]
        for (index, basic) in expected {
            #expect(TerminalColor.indexed(index).downsampled(to: .eight) == .indexed(basic), "\(index)")
        }
        #expect(TerminalColor.rgb(200, 30, 30).downsampled(to: .eight) == .indexed(1))
    }

    @Test func capabilityLimits() {
        #expect(TerminalColor.rgb(1, 2, 3).downsampled(to: .direct) == .rgb(1, 2, 3))
        #expect(TerminalColor.indexed(200).downsampled(to: .twoFiftySix) == .indexed(200))
        for capability in [ColorCapability.none, .eight, .twoFiftySix, .direct] {
            #expect(TerminalColor.default.downsampled(to: capability) == .default)
        }
        #expect(TerminalColor.rgb(255, 0, 0).downsampled(to: .none) == .default)
        #expect(TerminalColor.indexed(4).downsampled(to: .none) == .default)
    }

    @Test func detectHonoursNoColor() {
        #expect(ColorCapability.detect(environment: ["NO_COLOR": "1"], colors: 256, hasRGB: false) == ColorCapability.none)
        #expect(ColorCapability.detect(environment: ["NO_COLOR": "0"], colors: 0x100_0000, hasRGB: true) == ColorCapability.none)
        // Present but empty does not count (no-color.org).
        #expect(ColorCapability.detect(environment: ["NO_COLOR": ""], colors: 256, hasRGB: false) == .twoFiftySix)
    }

    @Test func detectFollowsTheTerminal() {
        #expect(ColorCapability.detect(environment: [:], colors: 0, hasRGB: false) == ColorCapability.none)
        #expect(ColorCapability.detect(environment: [:], colors: -1, hasRGB: false) == ColorCapability.none)
        #expect(ColorCapability.detect(environment: [:], colors: 8, hasRGB: false) == .eight)
        #expect(ColorCapability.detect(environment: [:], colors: 16, hasRGB: false) == .eight)
        #expect(ColorCapability.detect(environment: [:], colors: 256, hasRGB: false) == .twoFiftySix)
        #expect(ColorCapability.detect(environment: [:], colors: 0x100_0000, hasRGB: true) == .direct)
        // RGB without a 24-bit colour space cannot take 0xRRGGBB numbers.
        #expect(ColorCapability.detect(environment: [:], colors: 256, hasRGB: true) == .twoFiftySix)
    }
}
