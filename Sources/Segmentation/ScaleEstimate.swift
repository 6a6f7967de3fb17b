import CellTrackCore

/// The segmentation scale of a movie whose pixel size is unknown, chosen on its own cells
/// (issue 5: "the expected cell width, from `--pixel-size` and a default E. coli width, or
/// estimated from the image"; docs/colony-method.md §16).
///
/// Why: every size in the segmentation follows the expected cell width w = `cellWidthUm` / pixel
/// size. Without a pixel size it would fall back to `Segmenter.defaultPixelSize` (w = 10 px at
/// 1 µm), and a movie whose cells are 17 px wide then loses a third of its score (ecoli-trpL:
/// SEG 0.62, F1 0.54 instead of 0.81, 0.93).
///
/// How: segment the sample frames at each width of a ladder (4 to 73 px, steps of 1.25×, then
/// steps of 1.1× around the best) and keep the width whose result is best explained as cells of
/// that width: the largest total length (area / w) of objects whose own width lies within
/// [0.75 w, 1.33 w] (`consistentLength`). Counting area instead would favour a scale so coarse
/// that whole colony fingers pass as cells; counting objects would favour fragments. Iterating
/// "segment, measure, segment again" (the first version) has more than one fixed point: a lit
/// colony cut into pieces at 9 px measures 9 px.
/// The result is a pixel size for the segmentation only: the movie's µm columns stay empty, since
/// the true pixel size is still unknown.
///
/// ```swift
/// if let scale = try ScaleEstimate.measure(count: 3, frame: { frames[$0] }, parameters: p) {
///     result = try Segmenter.segment(frame, parameters: p, pixelSize: scale.pixelSize)
/// }
/// ```
public enum ScaleEstimate {
    /// The estimate: the pixel size to segment with, and the cell width (px) it stands for.
    public struct Scale: Equatable, Sendable {
        public var pixelSize: Double
        public var widthPixels: Double
        /// What polarity `auto` was decided to be for the movie (`moviePolarity`), which the
        /// ladder used and the movie's frames should use too; nil when the polarity was given.
        public var polarity: Polarity? = nil
    }

    /// The frames a movie's scale is measured on: the first, the middle and the last (a growing
    /// colony has most cells at its end), each once.
    public static func sampleFrames(_ frameCount: Int) -> [Int] {
        var out: [Int] = []
        for k in [0, frameCount / 2, frameCount - 1] where k >= 0 && !out.contains(k) { out.append(k) }
        return out
    }

    /// Segmenting the `sample`-th frame given to `measure` failed (its pixels, e.g. not finite);
    /// the caller knows which file and frame that is.
    public struct FrameFailure: Error, Sendable {
        public var sample: Int
        public var problem: String
    }

    /// A rod's minor axis (4·√(w²/12) for width w) per unit of width.
    static let minorAxisPerWidth = 4 / 12.0.squareRoot()
    /// How far (in ln) an object's width may be from w and still count fully: the weight's
    /// standard deviation, 0.15 (±16 %).
    static let widthSpread = 0.15
    /// An object counts towards `minimumObjects` when its own width is within these factors of w.
    static let consistentRange = 0.75...1.33
    /// The coarse ladder: 4 px × 1.25^k, k = 0…13 (4 to 73 px: E. coli from 0.25 down to 0.014 µm
    /// per pixel).
    static let coarseLadder = (0..<14).map { 4 * power(1.25, $0) }
    /// The fine ladder around the best coarse width w: w × 1.1^k, k = −2…2 (k = 0 is not redone).
    static let fineSteps = [-2, -1, 1, 2]
    /// Only rod-like objects vote (major axis ≥ 1.5 × minor axis): round specks of noise or
    /// debris have no width to measure a rod's scale by.
    static let minimumElongation = 1.5
    /// Fewer consistent objects than this at the best width give no estimate.
    static let minimumObjects = 3

    /// The polarity `auto` stands for on the movie whose sample frames `frame(k)` loads, for the
    /// colony method and `auto`; nil for a given polarity or the other methods (whose `auto` is
    /// the recipe's rule). It is `ColonySegmenter.looksDark` on the tails of all sample frames
    /// together, normalised at the ladder's finest width, where thin dark cells are least blurred
    /// into their bright halos. Why once, and there: each rung used to decide for itself, after
    /// smoothing by w/16, and at coarse widths the broad halos of thin cells outweigh the cells.
    /// Caulobacter (Omnipose's caulo_15, cells ~5.5 px wide) then looked bright from w ≈ 20 px
    /// on, and the ladder chose 19.7 px with the halos as cells (SEG 0.015 against the model).
    static func moviePolarity(count: Int, frame: (Int) throws -> GreyImage,
                              parameters p: SegmentationParameters) throws -> Polarity? {
        guard p.polarity == .auto, p.method == .auto || p.method == .colony else { return nil }
        var dark = 0, bright = 0, pixels = 0
        func add<P: GreyPixel>(_ image: Image<P>) {
            let tails = ColonySegmenter.darkTails(image, parameters: p.colony, widthPixels: coarseLadder[0])
            dark += tails.dark; bright += tails.bright; pixels += tails.pixels
        }
        for k in 0..<count {
            switch try frame(k) {
            case .float(let image):
                if let v = image.withUnsafeBufferPointer({ Otsu.firstNonFinite($0) }) {
                    throw FrameFailure(sample: k, problem: ParameterError.invalid(name: "image", value: "\(v)", reason: "pixels must be finite").description)
                }
                add(image)
            case .uint16(let image): add(image)
            case .uint8(let image): add(image)
            }
        }
        return ColonySegmenter.looksDark(dark: dark, bright: bright, pixels: pixels) ? .dark : .bright
    }

    /// base^k by repeated products (exact to the last bit on every platform, unlike exp∘log).
    private static func power(_ base: Double, _ k: Int) -> Double {
        k >= 0 ? (0..<k).reduce(1.0) { r, _ in r * base } : 1 / power(base, -k)
    }

    /// What the regions of a segmentation at width `width` (px) contribute to that width's
    /// score: each rod-like region's own length (area / its width, the width being minor axis /
    /// (4/√12)), weighted by exp(−ln²(its width / `width`) / (2 · `widthSpread`²)), summed; and
    /// how many regions lie within `consistentRange` × `width`. The weight is smooth, so the best
    /// width is not pulled to the lower end of a window, and it is the regions' own lengths that
    /// count, so cells cut lengthwise or merged side by side score less than the same cells whole.
    public static func consistentLength(_ regions: [Region], width: Double) -> (length: Double, count: Int) {
        var length = 0.0, count = 0
        let logWidth = MathShim.log(width), twoSpreadSquared = 2 * widthSpread * widthSpread
        for r in regions where r.minorAxisLength > 0 && r.majorAxisLength >= minimumElongation * r.minorAxisLength {
            let w = r.minorAxisLength / minorAxisPerWidth
            let d = MathShim.log(w) - logWidth
            length += Double(r.area) / w * MathShim.exp(-d * d / twoSpreadSquared)
            if w >= consistentRange.lowerBound * width && w <= consistentRange.upperBound * width { count += 1 }
        }
        return (length, count)
    }

    /// The scale chosen on `count` frames, loaded one at a time by `frame(k)` (up to three times
    /// each: for the polarity when it is `auto` (`moviePolarity`, which the ladder then uses),
    /// for the coarse ladder, for the fine one); nil when no width finds `minimumObjects`
    /// consistent objects. `parallel(n, body)` runs `body(0)…body(n − 1)`, on as many threads as
    /// memory allows (each holds one segmentation); each body writes only its own slot, so the
    /// result does not depend on it. Deterministic: ties go to the smaller width.
    public static func measure(count: Int, frame: (Int) throws -> GreyImage,
                               parameters given: SegmentationParameters,
                               parallel: (Int, (Int) -> Void) -> Void = { n, body in for i in 0..<n { body(i) } }) throws -> Scale? {
        var p = given
        let polarity = try moviePolarity(count: count, frame: frame, parameters: p)
        if let polarity { p.polarity = polarity }
        // Σ over frames of consistent length and count, and the pixels seen, per width
        func tally(_ widths: [Double]) throws -> [(score: Double, count: Int)] {
            var length = [Double](repeating: 0, count: widths.count)
            var found = [Int](repeating: 0, count: widths.count)
            var pixels = 0
            for k in 0..<count {
                let image = try frame(k)
                pixels += image.width * image.height
                var slots = [Result<(Double, Int), any Error>?](repeating: nil, count: widths.count)
                slots.withUnsafeMutableBufferPointer { out in
                    parallel(widths.count) { i in
                        out[i] = Result {
                            let regions = try Segmenter.segment(image, parameters: p, pixelSize: p.colony.cellWidthUm / widths[i]).regions
                            let c = consistentLength(regions, width: widths[i])
                            return (c.length, c.count)
                        }
                    }
                }
                for i in widths.indices {
                    switch slots[i]! {
                    case .success(let (l, c)): length[i] += l; found[i] += c
                    case .failure(let error as ParameterError): throw FrameFailure(sample: k, problem: error.description)
                    case .failure(let error): throw error
                    }
                }
            }
            return widths.indices.map { (length[$0] / Double(max(pixels, 1)), found[$0]) }
        }
        // the index of the best score (the first on ties, so the smaller width when sorted)
        func best(_ scores: [(score: Double, count: Int)]) -> Int {
            var b = 0
            for i in scores.indices where scores[i].score > scores[b].score { b = i }
            return b
        }
        let coarse = coarseLadder
        let coarseScores = try tally(coarse)
        let c = best(coarseScores)
        guard coarseScores[c].count >= minimumObjects else { return nil }
        let fine = fineSteps.map { coarse[c] * power(1.1, $0) }.filter { $0 >= coarse[0] }
        let fineScores = try tally(fine)
        var widths = [coarse[c]] + fine, scores = [coarseScores[c]] + fineScores
        let order = widths.indices.sorted { widths[$0] < widths[$1] }
        widths = order.map { widths[$0] }; scores = order.map { scores[$0] }
        let b = best(scores)
        guard scores[b].count >= minimumObjects else { return nil }
        return Scale(pixelSize: p.colony.cellWidthUm / widths[b], widthPixels: widths[b], polarity: polarity)
    }
}
