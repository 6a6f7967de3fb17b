import ArgumentParser
import CellTrackCore
import Foundation
import Segmentation
import Tracking

/// Hidden benchmark: linking cost per frame for dense synthetic colonies (used by scripts/bench.sh).
struct BenchLink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-link",
        abstract: "Benchmark frame-to-frame linking on dense synthetic colonies.",
        shouldDisplay: false)

    @Option(help: "Comma-separated cell counts.")
    var cells: String = "100,1000,10000"

    @Option(help: "Frames per movie.")
    var frames: Int = 12

    func run() throws {
        let counts = cells.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        print("link: cells  image        ms/frame(link)  ms/frame(measure)  divisions")
        for n in counts where n > 0 {
            let movie = Self.colony(cells: n, frames: frames, seed: 7)
            var tracker = try Tracker()
            var linkSeconds = 0.0, measureSeconds = 0.0
            for (i, labels) in movie.enumerated() {
                let t0 = Date()
                let regions = RegionMeasurer.measure(labels: labels, intensity: nil)
                let t1 = Date()
                try tracker.addFrame(index: i, labels: labels, regions: regions)
                let t2 = Date()
                measureSeconds += t1.timeIntervalSince(t0)
                if i > 0 { linkSeconds += t2.timeIntervalSince(t1) }   // frame 0 has nothing to link
            }
            let g = tracker.finish()
            let w = movie[0].width, h = movie[0].height
            print(String(format: "link: %6d  %5dx%-5d  %14.3f  %17.3f  %9d", n, w, h,
                         1000 * linkSeconds / Double(max(frames - 1, 1)), 1000 * measureSeconds / Double(frames), g.divisions.count))
        }
    }

    /// A packed colony: rows of horizontal rods (lengths 14–26 px, width 7, 1 px gaps) that jitter
    /// by ±1 px per frame on top of a 1 px/frame drift; every 10th cell divides in frame 6.
    /// Labels are shuffled every frame.
    static func colony(cells n: Int, frames: Int, seed: UInt64) -> [LabelImage] {
        var rng = SplitMix64(seed: seed)
        let rows = max(1, Int((Double(n) / 3).squareRoot()))
        let perRow = (n + rows - 1) / rows
        let height = rows * 8 + 40
        struct Rod { var x: Double; var y: Int; var length: Int }
        var rods: [Rod] = []
        for r in 0..<rows {
            var x = 10.0
            for _ in 0..<perRow where rods.count < n {
                let l = Int.random(in: 14...26, using: &rng)
                rods.append(Rod(x: x, y: 10 + 8 * r, length: l))
                x += Double(l + 1)
            }
        }
        let width = Int(rods.map { $0.x + Double($0.length) }.max() ?? 0) + frames + 20
        var movie: [LabelImage] = []
        for t in 0..<frames {
            if t == 6 {
                var next: [Rod] = []
                for (k, r) in rods.enumerated() {
                    if k % 10 == 0 && r.length >= 16 {
                        let half = (r.length - 1) / 2
                        next.append(Rod(x: r.x, y: r.y, length: half))
                        next.append(Rod(x: r.x + Double(half + 1), y: r.y, length: r.length - 1 - half))
                    } else { next.append(r) }
                }
                rods = next
            }
            var labels = Array(1...UInt32(rods.count))
            labels.shuffle(using: &rng)
            var img = LabelImage(width: width, height: height, repeating: 0)
            img.withUnsafeMutableBufferPointer { px in
                for (k, r) in rods.enumerated() {
                    let jitter = Int.random(in: -1...1, using: &rng)
                    let x0 = Int(r.x) + t + jitter
                    let lo = max(0, x0), hi = min(width, x0 + r.length)
                    guard lo < hi else { continue }
                    for y in r.y..<(r.y + 7) {
                        for x in lo..<hi { px[y * width + x] = labels[k] }
                    }
                }
            }
            movie.append(img)
        }
        return movie
    }
}

