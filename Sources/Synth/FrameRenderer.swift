import CellTrackCore
import Foundation

/// What the renderer measured for one cell in one frame (pixels).
public struct RenderedCell: Sendable, Equatable {
    /// Pixels of the label image that belong to the cell.
    public var pixelCount: Int
    /// Extent of those pixels along the cell's axis, tip to tip (projection range + 1 px).
    public var maskLength: Double
}

/// One rendered frame before the camera: labels and the noise-free expected intensity.
public struct RenderedFrame: Sendable {
    /// 0 = background, k = the k-th cell passed to `render` (1-based).
    public var labels: Image<UInt32>
    /// Expected grey value in output counts, before noise and quantisation.
    public var expected: Image<Float>
    /// Per input cell, in the order given.
    public var cells: [RenderedCell]
}

/// A piece of debris: not a cell and not in the truth. Sample coordinates, µm.
struct Debris: Sendable {
    var x: Double, y: Double, radius: Double
    /// Tone relative to the background (< 1 dark, > 1 bright).
    var tone: Double
}

/// Renders cells into a label image and an intensity image following the forward model
/// I = (S ∗ h)·L + B + ε (the noise ε is added by `Camera`).
///
/// - S: the cells' anti-aliased coverage (each rod shrunk by half `cellGap`, so touching cells
///   keep a thin gap), with a tone per pixel;
/// - h: a Gaussian PSF; phase contrast adds a halo, the Gaussian-blurred coverage brightening
///   the background around cells (and, faintly, the gaps between touching cells), weighted by
///   max(0, 1 − coverage / 0.7) so that it stays outside the outline;
/// - L: illumination (vignetting and a gradient) times a smooth background texture; B the
///   background level.
///
/// Pixel (x, y) has its centre at (x, y). A pixel belongs to a cell when its centre lies
/// inside the cell's drawn body (its outline shrunk by half `cellGap`; the contact line between
/// touching cells is background, as in annotated phase contrast); where bodies overlap it goes to the cell it lies deepest in
/// (relative to the radius), so labels never overlap. The renderer keeps frame-sized scratch
/// buffers between calls: memory is bounded by a frame, whatever the movie length.
///
/// ```swift
/// var renderer = FrameRenderer(parameters: p)
/// let frame = renderer.render(cells: shapesInPixels, brightness: [1, 1], driftX: 0, driftY: 0)
/// ```
public struct FrameRenderer {
    public let parameters: SynthParameters
    let width: Int, height: Int
    /// Illumination × background texture × background level, per pixel (counts).
    var backgroundField: [Float]
    var debris: [Debris]
    var coverage: [Float], tone: [Float], depth: [Float]
    var blurredCoverage: [Float], blurredTone: [Float], halo: [Float], scratch: [Float]
    var slots: [UInt32]
    let psfKernel: [Float]
    let haloRadii: [Int]

    public init(parameters: SynthParameters) {
        self.parameters = parameters
        width = parameters.width
        height = parameters.height
        let n = width * height
        coverage = [Float](repeating: 0, count: n)
        tone = coverage; depth = coverage; blurredCoverage = coverage; blurredTone = coverage
        halo = coverage; scratch = coverage
        slots = [UInt32](repeating: 0, count: n)
        psfKernel = gaussianKernel(sigma: parameters.psfSigma / parameters.pixelSize)
        haloRadii = parameters.polarity == .dark
            ? boxRadiiForGaussian(sigma: parameters.haloSigma / parameters.pixelSize) : []
        backgroundField = Self.makeBackgroundField(parameters)
        debris = Self.makeDebris(parameters)
    }

    // MARK: static fields

    /// Vignetting, a linear gradient and a smooth random texture (smoothstep-interpolated
    /// random grid), times the background level.
    static func makeBackgroundField(_ p: SynthParameters) -> [Float] {
        var rng = SynthRandom(seed: p.seed, stream: 2)
        let w = p.width, h = p.height
        let spacing = max(2, p.backgroundTextureScale / p.pixelSize)
        let gridW = Int(Double(w) / spacing) + 3, gridH = Int(Double(h) / spacing) + 3
        let grid = (0..<(gridW * gridH)).map { _ in rng.normal() }
        let gradientAngle = rng.uniform(0, 2 * Double.pi)
        let gx = cos(gradientAngle), gy = sin(gradientAngle)
        let cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        let halfDiagonal = (cx * cx + cy * cy).squareRoot() + 1e-9
        let level = p.backgroundLevel
        var field = [Float](repeating: 0, count: w * h)
        func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }
        field.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                let gyPos = Double(y) / spacing
                let iy = Int(gyPos), fy = smooth(gyPos - Double(iy))
                for x in 0..<w {
                    let gxPos = Double(x) / spacing
                    let ix = Int(gxPos), fx = smooth(gxPos - Double(ix))
                    let g00 = grid[iy * gridW + ix], g10 = grid[iy * gridW + ix + 1]
                    let g01 = grid[(iy + 1) * gridW + ix], g11 = grid[(iy + 1) * gridW + ix + 1]
                    let texture = (g00 * (1 - fx) + g10 * fx) * (1 - fy) + (g01 * (1 - fx) + g11 * fx) * fy
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    let rho2 = (dx * dx + dy * dy) / (halfDiagonal * halfDiagonal)
                    let vignette = 1 - p.vignetting * rho2
                    let gradient = 1 + p.illuminationGradient * (dx * gx + dy * gy) / halfDiagonal
                    out[y * w + x] = Float(level * vignette * gradient * (1 + p.backgroundTexture * texture))
                }
            }
        }
        return field
    }

    /// Debris scattered over the field and a margin (so drift brings new debris in).
    static func makeDebris(_ p: SynthParameters) -> [Debris] {
        var rng = SynthRandom(seed: p.seed, stream: 3)
        let fieldW = Double(p.width) * p.pixelSize, fieldH = Double(p.height) * p.pixelSize
        let travel = p.drift * Double(p.frames) * 1.3
        let areaW = fieldW + 2 * travel, areaH = fieldH + 2 * travel
        let expected = p.debrisDensity * areaW * areaH / 1000
        let count = Int(rng.poisson(expected))
        return (0..<count).map { _ in
            let dark = rng.uniform() < 0.5
            return Debris(x: rng.uniform(-travel, fieldW + travel), y: rng.uniform(-travel, fieldH + travel),
                          radius: rng.uniform(0.1, 0.3), tone: dark ? rng.uniform(0.2, 0.5) : rng.uniform(1.4, 2.2))
        }
    }

    // MARK: rendering

    /// Renders one frame. `cells` are in pixel coordinates of this frame (drift included);
    /// `brightness` (same count) scales each cell's tone; `driftX/Y` (pixels) moves the debris.
    public mutating func render(cells: [Spherocylinder], brightness: [Double],
                                driftX: Double, driftY: Double) -> RenderedFrame {
        precondition(cells.count == brightness.count, "one brightness per cell")
        let w = width, h = height, n = w * h
        let p = parameters
        let gapHalf = p.polarity == .dark ? 0.5 * p.cellGap / p.pixelSize : 0
        var union = PixelRect(x0: w, y0: h, x1: 0, y1: 0)
        var stats = [RenderedCell](repeating: RenderedCell(pixelCount: 0, maskLength: 0), count: cells.count)

        coverage.withUnsafeMutableBufferPointer { s in
        tone.withUnsafeMutableBufferPointer { t in
        depth.withUnsafeMutableBufferPointer { d in
        slots.withUnsafeMutableBufferPointer { lab in
            for i in 0..<n { s[i] = 0; t[i] = 0; d[i] = -1; lab[i] = 0 }
            // Debris first: cells drawn later cover it.
            for particle in debris {
                let shape = Spherocylinder(centerX: particle.x / p.pixelSize + driftX,
                                           centerY: particle.y / p.pixelSize + driftY, angle: 0,
                                           length: 2 * particle.radius / p.pixelSize,
                                           width: 2 * particle.radius / p.pixelSize)
                Self.rasterize(shape, slot: 0, shrink: 0, baseTone: particle.tone, centreBoost: 0,
                               width: w, height: h, coverage: s, tone: t, depth: d, labels: lab, union: &union)
            }
            for (k, shape) in cells.enumerated() {
                let baseTone = p.polarity == .dark ? p.cellTone * brightness[k] : brightness[k]
                // Phase-contrast rods look a little lighter along their middle; fluorescence
                // is brightest where the cell is thickest.
                let centreBoost = p.polarity == .dark ? 0.12 : 0.25
                Self.rasterize(shape, slot: UInt32(k + 1), shrink: gapHalf, baseTone: baseTone,
                               centreBoost: centreBoost, width: w, height: h,
                               coverage: s, tone: t, depth: d, labels: lab, union: &union)
            }
            for (k, shape) in cells.enumerated() {
                stats[k] = Self.measure(shape, slot: UInt32(k + 1), width: w, height: h, labels: lab)
            }
        }}}}

        // Blur only where something was drawn, plus the blur's reach.
        let reach = psfKernel.count / 2 + 3 * (haloRadii.max() ?? 0) + 2
        let rect = union.isEmpty ? union
            : PixelRect(x0: max(0, union.x0 - reach), y0: max(0, union.y0 - reach),
                        x1: min(w, union.x1 + reach), y1: min(h, union.y1 + reach))
        blurStage(rect: rect)

        var expected = [Float](repeating: 0, count: n)
        let haloStrength = Float(p.haloStrength)
        let signal = Float(p.fluorescenceSignal)
        let dark = p.polarity == .dark
        expected.withUnsafeMutableBufferPointer { out in
        backgroundField.withUnsafeBufferPointer { bg in
        blurredCoverage.withUnsafeBufferPointer { dc in
        blurredTone.withUnsafeBufferPointer { dt in
        halo.withUnsafeBufferPointer { hl in
            for i in 0..<n { out[i] = bg[i] }
            guard !rect.isEmpty else { return }
            for y in rect.y0..<rect.y1 {
                let row = y * w
                if dark {
                    for i in (row + rect.x0)..<(row + rect.x1) {
                        let cover = dc[i]
                        // the halo lies outside the outline: it fades out as the coverage
                        // rises to 0.7, so the outline stays near half darkness (annotated
                        // ecoli-trpL: 0.47–0.63 across its outline) and contacts stay faint
                        let outside = max(0, 1 - cover / 0.7)
                        out[i] = bg[i] * ((1 - cover) * (1 + haloStrength * hl[i] * outside) + dt[i])
                    }
                } else {
                    for i in (row + rect.x0)..<(row + rect.x1) {
                        out[i] = bg[i] * (1 + signal * dt[i])
                    }
                }
            }
        }}}}}
        let labels = Image<UInt32>(uncheckedWidth: w, height: h, pixels: slots, pixelSize: p.pixelSize)
        return RenderedFrame(labels: labels,
                             expected: Image(uncheckedWidth: w, height: h, pixels: expected, pixelSize: p.pixelSize),
                             cells: stats)
    }

    /// PSF on coverage and tone; the halo (three box blurs ≈ a Gaussian) on the coverage.
    private mutating func blurStage(rect: PixelRect) {
        let w = width
        let kernel = psfKernel
        let radii = haloRadii
        let n = width * height
        coverage.withUnsafeBufferPointer { s in
        tone.withUnsafeBufferPointer { t in
        blurredCoverage.withUnsafeMutableBufferPointer { dc in
        blurredTone.withUnsafeMutableBufferPointer { dt in
        halo.withUnsafeMutableBufferPointer { hl in
        scratch.withUnsafeMutableBufferPointer { tmp in
            for i in 0..<n { dc[i] = 0; dt[i] = 0; hl[i] = 0 }
            guard !rect.isEmpty else { return }
            convolveSeparable(s.baseAddress!, dc.baseAddress!, scratch: tmp.baseAddress!, width: w, rect: rect,
                              kernel: kernel)
            convolveSeparable(t.baseAddress!, dt.baseAddress!, scratch: tmp.baseAddress!, width: w, rect: rect,
                              kernel: kernel)
            if !radii.isEmpty {
                for y in rect.y0..<rect.y1 {
                    for i in (y * w + rect.x0)..<(y * w + rect.x1) { hl[i] = s[i] }
                }
                for radius in radii {
                    boxBlur(hl.baseAddress!, scratch: tmp.baseAddress!, width: w, rect: rect, radius: radius)
                }
            }
        }}}}}}
    }

    /// Draws one spherocylinder (pixel units) into coverage/tone (anti-aliased, max-combined)
    /// and, for `slot > 0`, into the label buffer (deepest cell wins).
    @inline(__always)
    static func rasterize(_ shape: Spherocylinder, slot: UInt32, shrink: Double, baseTone: Double,
                          centreBoost: Double, width w: Int, height h: Int,
                          coverage s: UnsafeMutableBufferPointer<Float>, tone t: UnsafeMutableBufferPointer<Float>,
                          depth d: UnsafeMutableBufferPointer<Float>, labels lab: UnsafeMutableBufferPointer<UInt32>,
                          union: inout PixelRect) {
        let r = shape.radius, body = max(0.5, r - shrink)
        let ends = shape.axisEnds
        let x0 = max(0, Int((min(ends.x0, ends.x1) - r - 1).rounded(.down)))
        let x1 = min(w, Int((max(ends.x0, ends.x1) + r + 1).rounded(.up)) + 1)
        let y0 = max(0, Int((min(ends.y0, ends.y1) - r - 1).rounded(.down)))
        let y1 = min(h, Int((max(ends.y0, ends.y1) + r + 1).rounded(.up)) + 1)
        guard x0 < x1, y0 < y1 else { return }
        union = PixelRect(x0: min(union.x0, x0), y0: min(union.y0, y0), x1: max(union.x1, x1), y1: max(union.y1, y1))
        let ux = cos(shape.angle), uy = sin(shape.angle), half = shape.halfAxis
        for y in y0..<y1 {
            let dy = Double(y) - shape.centerY
            for x in x0..<x1 {
                let dx = Double(x) - shape.centerX
                let along = min(max(dx * ux + dy * uy, -half), half)
                let ex = dx - along * ux, ey = dy - along * uy
                let distance = (ex * ex + ey * ey).squareRoot()
                if distance > r + 1 { continue }
                let i = y * w + x
                let cover = Float(min(max(body - distance + 0.5, 0), 1))
                if cover > s[i] {
                    let q = min(distance / r, 1)
                    s[i] = cover
                    t[i] = cover * Float(baseTone * (1 + centreBoost * (1 - q * q)))
                }
                // the label is the drawn body (the outline shrunk by half the gap), so the truth
                // leaves the bright line between touching cells unlabelled, as annotators do
                if slot > 0 && distance <= body {
                    let relativeDepth = Float((r - distance) / r)
                    if relativeDepth > d[i] {
                        d[i] = relativeDepth
                        lab[i] = slot
                    }
                }
            }
        }
    }

    /// Pixel count and tip-to-tip extent (along the axis) of the pixels labelled `slot`.
    static func measure(_ shape: Spherocylinder, slot: UInt32, width w: Int, height h: Int,
                        labels lab: UnsafeMutableBufferPointer<UInt32>) -> RenderedCell {
        let r = shape.radius
        let ends = shape.axisEnds
        let x0 = max(0, Int((min(ends.x0, ends.x1) - r - 1).rounded(.down)))
        let x1 = min(w, Int((max(ends.x0, ends.x1) + r + 1).rounded(.up)) + 1)
        let y0 = max(0, Int((min(ends.y0, ends.y1) - r - 1).rounded(.down)))
        let y1 = min(h, Int((max(ends.y0, ends.y1) + r + 1).rounded(.up)) + 1)
        guard x0 < x1, y0 < y1 else { return RenderedCell(pixelCount: 0, maskLength: 0) }
        let ux = cos(shape.angle), uy = sin(shape.angle)
        var count = 0, low = Double.infinity, high = -Double.infinity
        for y in y0..<y1 {
            for x in x0..<x1 where lab[y * w + x] == slot {
                count += 1
                let along = (Double(x) - shape.centerX) * ux + (Double(y) - shape.centerY) * uy
                low = min(low, along); high = max(high, along)
            }
        }
        return RenderedCell(pixelCount: count, maskLength: count > 0 ? high - low + 1 : 0)
    }
}
