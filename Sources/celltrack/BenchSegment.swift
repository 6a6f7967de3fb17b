import ArgumentParser
import CellTrackCore
import Dispatch
import Foundation
import ImageIO
import Segmentation

/// Hidden benchmark: `celltrack bench-segment` builds a synthetic uint16-like frame (default
/// 4056×3040 px = 12.3 MP, dark rods on an uneven background with noise), segments it with the
/// default recipe and prints ns/pixel per stage. Used by scripts/bench.sh; not for users.
struct BenchSegment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-segment",
        abstract: "Benchmark the segmentation stages on a synthetic frame (release builds only).",
        shouldDisplay: false)

    @Option(help: "Frame width in px.") var width = 4056
    @Option(help: "Frame height in px.") var height = 3040
    @Option(help: "Timed repetitions (the median is printed).") var repeats = 3
    @Option(help: "Rods in the frame.") var rods = 4000
    @Option(help: "Markers: hmax or peak.") var markers = "hmax"
    @Option(help: "Time frame 0 of this TIFF instead of the built-in synthetic frame.") var input: String?
    @Option(help: "Method: recipe, colony, auto or mothermachine.") var method = "recipe"
    @Option(help: "Frame of --input to time.") var frame = 0
    @Option(help: "µm per pixel for the µm-based defaults.") var pixelSize = 0.1

    func run() throws {
        let image = try input.map { try MovieReader(inputs: [$0]).readFrame(frame).image }
            ?? BenchSegment.syntheticFrame(width: width, height: height, rods: rods, seed: 7)
        let width = image.width, height = image.height
        var p = SegmentationParameters()
        p.markers = SegmentationParameters.MarkerMethod(rawValue: markers) ?? .hmax
        guard let m = SegmentationParameters.Method(rawValue: method) else {
            throw ValidationError("--method must be recipe, colony, auto or mothermachine")
        }
        p.method = m
        let pixels = Double(width * height)
        var perStage: [String: [Double]] = [:]
        var order: [String] = []
        var totals: [Double] = []
        var cells = 0
        for _ in 0..<max(repeats, 1) {
            var timings: StageTimings? = StageTimings()
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try Segmenter.segment(image, parameters: p, pixelSize: pixelSize, timings: &timings)
            totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cells = result.regions.count
            for (stage, s) in timings!.cpuSeconds {
                if perStage[stage] == nil { order.append(stage) }
                perStage[stage, default: []].append(s)
            }
        }
        func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
        print("segment: \(width)x\(height) (\(String(format: "%.1f", pixels / 1e6)) MP), \(cells) cells, method \(p.method.rawValue), markers \(p.markers.rawValue), median of \(repeats)")
        for stage in order {
            let m = median(perStage[stage]!)
            print("  " + stage.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + String(format: " %7.2f ns/px  %7.1f ms CPU", m * 1e9 / pixels, m * 1e3))
        }
        let total = median(totals)
        let cpuTotal = order.map { median(perStage[$0]!) }.reduce(0, +)
        print("  total     " + String(format: " %7.2f ns/px  %7.1f ms CPU; wall %.1f ms/frame on one core",
                                        cpuTotal * 1e9 / pixels, cpuTotal * 1e3, total * 1e3))
        // throughput with one frame per core, as `celltrack segment` runs
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: cores) { _ in
            _ = try? Segmenter.segment(image, parameters: p, pixelSize: pixelSize)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "  %d frames on %d cores: %.1f ms/frame effective (baseline 2100 ms/frame: %.1fx)",
                     cores, cores, wall / Double(cores) * 1e3, 2.1 / (wall / Double(cores))))
    }

    /// Dark rods (phase-contrast-like) on a background with a gentle illumination gradient and
    /// Gaussian-ish noise, values in uint16 range. Seeded, so every run measures the same frame.
    static func syntheticFrame(width w: Int, height h: Int, rods: Int, seed: UInt64) -> Image<Float> {
        var state = seed
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        var px = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                px[y * w + x] = Float(3000 + 600 * Double(x) / Double(w) - 400 * Double(y) / Double(h))
            }
        }
        for _ in 0..<rods {
            let cx = next() * Double(w), cy = next() * Double(h), angle = next() * Double.pi
            let length = 25 + next() * 25, radius = 4 + next() * 1.5
            let ux = cos(angle), uy = sin(angle)
            let half = length / 2 - radius
            let reach = Int(length / 2 + 2)
            for y in max(0, Int(cy) - reach)..<min(h, Int(cy) + reach) {
                for x in max(0, Int(cx) - reach)..<min(w, Int(cx) + reach) {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let a = dx * ux + dy * uy, b = -dx * uy + dy * ux
                    let ac = min(max(a, -half), half)
                    if (a - ac) * (a - ac) + b * b <= radius * radius { px[y * w + x] *= 0.45 }
                }
            }
        }
        for i in 0..<(w * h) {
            let noise = (next() + next() + next() - 1.5) * 2 * 60
            px[i] = max(0, min(65535, (px[i] + Float(noise)).rounded()))
        }
        return Image(uncheckedWidth: w, height: h, pixels: px)
    }
}
