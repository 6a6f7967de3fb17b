import CellTrackCore
import Foundation
import XCTest
@testable import Synth

final class RenderingTests: XCTestCase {
    /// Slow, obviously correct 2-D convolution with a separable kernel and clamped borders.
    func referenceConvolution(_ image: [Float], width: Int, height: Int, kernel: [Float]) -> [Float] {
        let r = kernel.count / 2
        var out = [Float](repeating: 0, count: image.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Double = 0
                for j in -r...r {
                    for i in -r...r {
                        let xx = min(max(x + i, 0), width - 1), yy = min(max(y + j, 0), height - 1)
                        sum += Double(kernel[i + r] * kernel[j + r]) * Double(image[yy * width + xx])
                    }
                }
                out[y * width + x] = Float(sum)
            }
        }
        return out
    }

    func randomImage(width: Int, height: Int, seed: UInt64) -> [Float] {
        var rng = SynthRandom(seed: seed)
        return (0..<(width * height)).map { _ in Float(rng.uniform()) }
    }

    func testSeparableConvolutionMatchesReference() {
        let w = 23, h = 17
        let image = randomImage(width: w, height: h, seed: 5)
        let kernel = gaussianKernel(sigma: 1.3)
        var out = [Float](repeating: 0, count: w * h), scratch = out
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                scratch.withUnsafeMutableBufferPointer { tmp in
                    convolveSeparable(src.baseAddress!, dst.baseAddress!, scratch: tmp.baseAddress!, width: w,
                                      rect: PixelRect(x0: 0, y0: 0, x1: w, y1: h), kernel: kernel)
                }
            }
        }
        let reference = referenceConvolution(image, width: w, height: h, kernel: kernel)
        for i in 0..<(w * h) { XCTAssertEqual(out[i], reference[i], accuracy: 1e-5) }
    }

    func testBoxBlurMatchesReferenceBox() {
        let w = 19, h = 21, radius = 3
        var image = randomImage(width: w, height: h, seed: 8)
        let reference = referenceConvolution(image, width: w, height: h,
                                             kernel: [Float](repeating: 1 / Float(2 * radius + 1), count: 2 * radius + 1))
        var scratch = [Float](repeating: 0, count: w * h)
        image.withUnsafeMutableBufferPointer { img in
            scratch.withUnsafeMutableBufferPointer { tmp in
                boxBlur(img.baseAddress!, scratch: tmp.baseAddress!, width: w,
                        rect: PixelRect(x0: 0, y0: 0, x1: w, y1: h), radius: radius)
            }
        }
        for i in 0..<(w * h) { XCTAssertEqual(image[i], reference[i], accuracy: 1e-5) }
    }

    func testThreeBoxesApproximateTheGaussianSigma() {
        for sigma in [2.0, 5.0, 7.5] {
            let radii = boxRadiiForGaussian(sigma: sigma)
            let variance = radii.map { Double((2 * $0 + 1) * (2 * $0 + 1) - 1) / 12 }.reduce(0, +)
            XCTAssertEqual(variance.squareRoot(), sigma, accuracy: 0.25 * sigma)
        }
    }

    func testLabelsMatchSlowReferenceRasterisation() {
        var p = SynthParameters()
        p.width = 40; p.height = 30; p.pixelSize = 0.2; p.debrisDensity = 0
        var renderer = FrameRenderer(parameters: p)
        // Two touching, slightly overlapping rods and one crossing the border.
        let shapes = [
            Spherocylinder(centerX: 12.3, centerY: 10.7, angle: 0.3, length: 16, width: 6),
            Spherocylinder(centerX: 15.1, centerY: 16.2, angle: 0.25, length: 14, width: 6.5),
            Spherocylinder(centerX: 37.5, centerY: 25, angle: 1.2, length: 12, width: 5),
        ]
        let frame = renderer.render(cells: shapes, brightness: [1, 1, 1], driftX: 0, driftY: 0)
        for y in 0..<p.height {
            for x in 0..<p.width {
                var best: UInt32 = 0, bestDepth = -1.0
                for (k, s) in shapes.enumerated() {
                    let d = s.axisDistance(x: Double(x), y: Double(y))
                    let depth = (s.radius - d) / s.radius
                    // the label is the drawn body: the outline shrunk by half the gap
                    let body = max(0.5, s.radius - (p.polarity == .dark ? p.cellGap / 2 / p.pixelSize : 0))
                    if d <= body && depth > bestDepth { best = UInt32(k + 1); bestDepth = depth }
                }
                XCTAssertEqual(frame.labels[x, y], best, "(\(x), \(y))")
            }
        }
        for (k, cell) in frame.cells.enumerated() {
            XCTAssertEqual(cell.pixelCount, frame.labels.pixels.filter { $0 == UInt32(k + 1) }.count)
        }
        // An isolated rod's mask length is its tip-to-tip length to within a pixel.
        XCTAssertEqual(frame.cells[0].maskLength, 16, accuracy: 1.5)
    }

    func testSpherocylinderGeometry() {
        let s = Spherocylinder(centerX: 0, centerY: 0, angle: 0, length: 10, width: 4)
        XCTAssertEqual(s.halfAxis, 3)
        XCTAssertEqual(s.axisDistance(x: 5, y: 0), 2, accuracy: 1e-12)
        XCTAssertEqual(s.axisDistance(x: 0, y: 2), 2, accuracy: 1e-12)
        XCTAssertEqual(s.area, 6 * 4 + Double.pi * 4, accuracy: 1e-12)
        let t = Spherocylinder(centerX: 0, centerY: 3.5, angle: 0, length: 10, width: 4)
        XCTAssertEqual(ColonySimulation.overlap(s, t), 0.5, accuracy: 1e-12)
    }
}
