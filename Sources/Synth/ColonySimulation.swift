import Foundation

/// One living cell of the simulation. Positions are µm in sample coordinates.
public struct SimulatedCell: Sendable, Equatable {
    /// Unique id in creation order (initial cells first, then daughters as they are born).
    public var id: Int
    /// `id` of the mother, nil for the cells present at time 0.
    public var motherID: Int?
    /// Shape now; `shape.length` always equals `length(at: time)` of the simulation clock.
    public var shape: Spherocylinder
    /// Time (min) at which `birthLength` holds. For initial cells this is 0, not a real birth.
    public var birthTime: Double
    public var birthLength: Double
    /// True growth rate μ of this cell cycle, per minute: L(t) = birthLength·exp(μ(t − birthTime)).
    public var growthRate: Double
    /// Length at which the cell divides (adder or sizer target, drawn at birth).
    public var targetDivisionLength: Double
    /// Per-cell brightness factor (phase tone or fluorescence level), around 1.
    public var brightness: Double
    /// Number of frames in which the cell has been seen; a cell divides only once it was seen,
    /// so that every cell cycle has at least one frame (CTC needs it).
    public var framesSeen: Int

    /// Tip-to-tip length at time `t` (µm).
    @inlinable
    public func length(at t: Double) -> Double {
        birthLength * exp(growthRate * (t - birthTime))
    }
}

/// A division that happened in the simulation.
public struct DivisionEvent: Sendable, Equatable {
    public var motherID: Int
    public var daughterIDs: (Int, Int)
    /// Time of division (min) and the mother's length then (µm).
    public var time: Double
    public var motherLength: Double

    public static func == (a: DivisionEvent, b: DivisionEvent) -> Bool {
        a.motherID == b.motherID && a.daughterIDs == b.daughterIDs && a.time == b.time
            && a.motherLength == b.motherLength
    }
}

/// Growth, division and mechanics of rod-shaped bacteria on a surface (pure; no rendering).
///
/// Growth is exact: each cycle's length is an analytic exponential of time, so the truth does
/// not depend on the step size. Division follows an adder or sizer rule with noise; the two
/// daughters split the mother's tip-to-tip length (conserved) and touch at the septum.
/// Overlaps are removed by position-based relaxation between spherocylinders (translation and
/// rotation weighted by each cell's mass and moment of inertia), so colonies form without overlap.
///
/// ```swift
/// var sim = ColonySimulation(parameters: SynthParameters())
/// sim.advance(to: 3)                       // minutes
/// let lengths = sim.cells.map(\.shape.length)
/// ```
public struct ColonySimulation: Sendable {
    public let parameters: SynthParameters
    /// Living cells, ordered by `id`.
    public private(set) var cells: [SimulatedCell] = []
    /// Simulation clock, minutes.
    public private(set) var time: Double = 0
    /// Divisions since the last `takeDivisions()`.
    public private(set) var divisions: [DivisionEvent] = []
    private var rng: SynthRandom
    private var nextID = 1

    /// Relaxation sweeps per step: at least `relaxationIterations` (the weak cohesion pull
    /// alone never settles), then more while some pair still overlaps by more than
    /// `overlapTolerance`, up to `maxRelaxationIterations`. Why: 8 sweeps settle sparse
    /// colonies, but in dense ones (90+ cells) left rods interpenetrating by up to 0.23 µm, so
    /// the image had no boundary between them (docs/colony-method.md §9.3).
    static let relaxationIterations = 8
    static let maxRelaxationIterations = 400
    /// Largest overlap (µm) of two rods that ends the relaxation: 1/6 of a 0.065-µm pixel.
    static let overlapTolerance = 0.01
    /// Longest simulation step (min); growth per step stays below ~2 %.
    static let maxStep = 0.5
    /// Cells closer than this (µm) attract weakly, as the agarose pad presses a colony
    /// together; without it, colonies of rotating rods stay loose.
    static let cohesionRange = 0.35
    /// Fraction of the angle between two touching rods removed per sweep: neighbours in a
    /// colony on a pad align side by side (nematic order), which packs them tightly.
    static let alignmentRate = 0.01

    public init(parameters: SynthParameters) {
        self.parameters = parameters
        rng = SynthRandom(seed: parameters.seed, stream: 1)
        placeInitialCells()
    }

    // MARK: draws

    private mutating func drawGrowthRate() -> Double {
        let doubling = rng.uniform(parameters.doublingTimeMin, parameters.doublingTimeMax)
        return log(2) / doubling
    }

    private mutating func drawDivisionLength(birthLength: Double) -> Double {
        let noise = max(-0.4, min(0.4, parameters.divisionNoise * rng.normal()))
        switch parameters.divisionRule {
        case .adder: return birthLength + parameters.addedLength * (1 + noise)
        case .sizer: return max(birthLength * 1.1, parameters.divisionLength * (1 + noise))
        }
    }

    private mutating func placeInitialCells() {
        let p = parameters
        let fieldW = Double(p.width) * p.pixelSize, fieldH = Double(p.height) * p.pixelSize
        // Central 60 % of the field, so that colonies grow before they reach the edge.
        let marginX = 0.2 * fieldW, marginY = 0.2 * fieldH
        for _ in 0..<p.initialCells {
            let width = p.cellWidth * max(0.7, 1 + p.cellWidthNoise * rng.normal())
            let rate = drawGrowthRate()
            // Cells start at a random phase of their cycle: length between birth and division size.
            let typicalBirth = p.divisionRule == .adder ? p.addedLength : p.divisionLength / 2
            let birth = max(typicalBirth, width * 1.5)
            let target = max(drawDivisionLength(birthLength: birth), birth * 1.2)
            let length = birth * exp(rng.uniform() * log(target / birth) * 0.9)
            var best: Spherocylinder?
            // Rejection sampling; after many tries accept the last draw (mechanics will separate it).
            for _ in 0..<200 {
                let candidate = Spherocylinder(
                    centerX: rng.uniform(marginX, fieldW - marginX), centerY: rng.uniform(marginY, fieldH - marginY),
                    angle: rng.uniform(0, Double.pi), length: length, width: width)
                best = candidate
                if !cells.contains(where: { Self.overlap(candidate, $0.shape) > -0.5 }) { break }
            }
            cells.append(SimulatedCell(
                id: nextID, motherID: nil, shape: best!, birthTime: 0, birthLength: length, growthRate: rate,
                targetDivisionLength: target, brightness: 1 + 0.05 * rng.normal(), framesSeen: 0))
            nextID += 1
        }
    }

    // MARK: public control

    /// Returns and clears the divisions recorded since the previous call.
    public mutating func takeDivisions() -> [DivisionEvent] {
        defer { divisions = [] }
        return divisions
    }

    /// Marks cells as seen in a frame (they may divide from now on).
    public mutating func markSeen(ids: [Int]) {
        let seen = Set(ids)
        for i in cells.indices where seen.contains(cells[i].id) { cells[i].framesSeen += 1 }
    }

    /// Removes cells (they left the field of view or vanished behind others).
    public mutating func remove(ids: [Int]) {
        let gone = Set(ids)
        cells.removeAll { gone.contains($0.id) }
    }

    /// Runs the simulation forward to time `t` (minutes) in small steps.
    public mutating func advance(to t: Double) {
        guard t > time else { return }
        let steps = max(1, Int((t - time) / Self.maxStep).advanced(by: 1))
        let start = time
        let frameFraction = 1 / max(1, parameters.interval)
        for step in 1...steps {
            let stepTime = step == steps ? t : start + (t - start) * Double(step) / Double(steps)
            let previous = time
            let dt = stepTime - previous
            time = stepTime
            grow()
            divide(after: previous)
            jitter(fraction: dt * frameFraction)
            relax()
        }
    }

    // MARK: steps

    private mutating func grow() {
        for i in cells.indices { cells[i].shape.length = cells[i].length(at: time) }
    }

    /// Divides every cell that reached its target length; `previous` is the time of the
    /// previous step, which is at or after the last frame.
    private mutating func divide(after previous: Double) {
        var born: [SimulatedCell] = []
        var index = 0
        while index < cells.count {
            let cell = cells[index]
            guard cell.framesSeen > 0, cell.shape.length >= cell.targetDivisionLength else {
                index += 1
                continue
            }
            // Exact division time when it fell inside this step; a division postponed until the
            // cell was first seen happens at the start of this step instead.
            let exactTime = cell.birthTime + log(cell.targetDivisionLength / cell.birthLength) / cell.growthRate
            let divisionTime = min(time, max(exactTime, previous))
            let motherLength = cell.length(at: divisionTime)
            let fraction = max(0.35, min(0.65, 0.5 + parameters.divisionAsymmetry * rng.normal()))
            let lengths = (motherLength * fraction, motherLength * (1 - fraction))
            let s = cell.shape
            let ux = cos(s.angle), uy = sin(s.angle)
            var daughters: [SimulatedCell] = []
            for (k, daughterLength) in [lengths.0, lengths.1].enumerated() {
                let sign = k == 0 ? -1.0 : 1.0
                let offset = motherLength / 2 - daughterLength / 2
                let rate = drawGrowthRate()
                let target = drawDivisionLength(birthLength: daughterLength)
                var shape = Spherocylinder(
                    centerX: s.centerX + sign * offset * ux + parameters.divisionPositionJitter * rng.normal(),
                    centerY: s.centerY + sign * offset * uy + parameters.divisionPositionJitter * rng.normal(),
                    angle: s.angle + parameters.divisionAngleJitter * rng.normal(),
                    length: daughterLength, width: s.width)
                let daughter = SimulatedCell(
                    id: nextID, motherID: cell.id, shape: shape, birthTime: divisionTime,
                    birthLength: daughterLength, growthRate: rate,
                    targetDivisionLength: max(target, daughterLength * 1.1),
                    brightness: cell.brightness * (1 + 0.02 * rng.normal()), framesSeen: 0)
                nextID += 1
                shape.length = daughter.length(at: time)
                var grown = daughter
                grown.shape = shape
                daughters.append(grown)
            }
            divisions.append(DivisionEvent(motherID: cell.id, daughterIDs: (daughters[0].id, daughters[1].id),
                                           time: divisionTime, motherLength: motherLength))
            born.append(contentsOf: daughters)
            cells.remove(at: index)
        }
        cells.append(contentsOf: born)
    }

    private mutating func jitter(fraction: Double) {
        let scale = fraction.squareRoot()
        let step = parameters.brownianStep * scale, turn = parameters.brownianRotation * scale
        guard step > 0 || turn > 0 else { return }
        for i in cells.indices {
            cells[i].shape.centerX += step * rng.normal()
            cells[i].shape.centerY += step * rng.normal()
            cells[i].shape.angle += turn * rng.normal()
        }
    }

    /// Signed overlap of two spherocylinders (positive = they overlap by that much).
    static func overlap(_ a: Spherocylinder, _ b: Spherocylinder) -> Double {
        let ea = a.axisEnds, eb = b.axisEnds
        let c = closestPointsBetweenSegments(ea.x0, ea.y0, ea.x1, ea.y1, eb.x0, eb.y0, eb.x1, eb.y1)
        let dx = c.px - c.qx, dy = c.py - c.qy
        return a.radius + b.radius - (dx * dx + dy * dy).squareRoot()
    }

    /// Position-based relaxation of overlaps (Jacobi sweeps; pairs from a sweep over x).
    private mutating func relax() {
        let n = cells.count
        guard n > 1 else { return }
        var dx = [Double](repeating: 0, count: n)
        var dy = [Double](repeating: 0, count: n)
        var dAngle = [Double](repeating: 0, count: n)
        for sweep in 0..<Self.maxRelaxationIterations {
            // Bounding boxes and a sweep over minX; ties broken by index, so the order is fixed.
            var boxes: [(minX: Double, maxX: Double, minY: Double, maxY: Double, index: Int)] = []
            boxes.reserveCapacity(n)
            for (i, c) in cells.enumerated() {
                let e = c.shape.axisEnds, r = c.shape.radius + Self.cohesionRange
                boxes.append((min(e.x0, e.x1) - r, max(e.x0, e.x1) + r, min(e.y0, e.y1) - r, max(e.y0, e.y1) + r, i))
            }
            boxes.sort { $0.minX != $1.minX ? $0.minX < $1.minX : $0.index < $1.index }
            for i in 0..<n { dx[i] = 0; dy[i] = 0; dAngle[i] = 0 }
            var moved = false
            var worstOverlap = 0.0
            for a in 0..<n {
                let boxA = boxes[a]
                var b = a + 1
                while b < n && boxes[b].minX <= boxA.maxX {
                    let boxB = boxes[b]
                    b += 1
                    if boxB.minY > boxA.maxY || boxB.maxY < boxA.minY { continue }
                    let i = min(boxA.index, boxB.index), j = max(boxA.index, boxB.index)
                    if let overlap = resolve(i, j, &dx, &dy, &dAngle, separateOnly: sweep >= Self.relaxationIterations) {
                        moved = true
                        worstOverlap = max(worstOverlap, overlap)
                    }
                }
            }
            if !moved { break }
            for i in 0..<n {
                cells[i].shape.centerX += dx[i]
                cells[i].shape.centerY += dy[i]
                cells[i].shape.angle += dAngle[i]
            }
            if sweep + 1 >= Self.relaxationIterations && worstOverlap <= Self.overlapTolerance { break }
        }
    }

    /// Accumulates the correction separating cells i and j; returns their overlap in µm (≤ 0:
    /// near but apart), or nil when they do not touch. `separateOnly` (the sweeps after the
    /// first `relaxationIterations`): no cohesion pull and no alignment, only pushes apart, so
    /// the pull that presses the colony together cannot keep rods interpenetrating.
    private func resolve(_ i: Int, _ j: Int, _ dx: inout [Double], _ dy: inout [Double],
                         _ dAngle: inout [Double], separateOnly: Bool) -> Double? {
        let a = cells[i].shape, b = cells[j].shape
        let ea = a.axisEnds, eb = b.axisEnds
        let c = closestPointsBetweenSegments(ea.x0, ea.y0, ea.x1, ea.y1, eb.x0, eb.y0, eb.x1, eb.y1)
        var nx = c.px - c.qx, ny = c.py - c.qy
        let distance = (nx * nx + ny * ny).squareRoot()
        // A small margin keeps settled cells just apart instead of exactly touching.
        var overlap = a.radius + b.radius + 0.005 - distance
        guard overlap > (separateOnly ? 0 : -Self.cohesionRange) else { return nil }
        let bodyOverlap = a.radius + b.radius - distance
        // Near but apart: a weak pull (0.4 of the gap) instead of a push.
        if overlap < 0 { overlap *= 0.4 }
        if distance > 1e-9 {
            nx /= distance; ny /= distance
        } else {
            // Coincident axes: push perpendicular to a's axis, in a fixed direction.
            nx = -sin(a.angle); ny = cos(a.angle)
        }
        // Mass ∝ length; moment of inertia of a rod m·L²/12.
        let massA = a.length, massB = b.length
        let inertiaA = massA * a.length * a.length / 12, inertiaB = massB * b.length * b.length / 12
        let rax = c.px - a.centerX, ray = c.py - a.centerY
        let rbx = c.qx - b.centerX, rby = c.qy - b.centerY
        let crossA = rax * ny - ray * nx, crossB = rbx * ny - rby * nx
        let weightA = 1 / massA + crossA * crossA / inertiaA
        let weightB = 1 / massB + crossB * crossB / inertiaB
        // Under-relaxed (0.5) because a cell may have several contacts in one Jacobi sweep.
        let impulse = 0.5 * overlap / (weightA + weightB)
        dx[i] += nx * impulse / massA; dy[i] += ny * impulse / massA
        dAngle[i] += crossA * impulse / inertiaA
        dx[j] -= nx * impulse / massB; dy[j] -= ny * impulse / massB
        dAngle[j] -= crossB * impulse / inertiaB
        // Alignment: rods are symmetric, so the difference is taken modulo π, in (-π/2, π/2].
        var difference = (b.angle - a.angle).truncatingRemainder(dividingBy: Double.pi)
        if difference > Double.pi / 2 { difference -= Double.pi }
        if difference <= -Double.pi / 2 { difference += Double.pi }
        let turn = separateOnly ? 0 : Self.alignmentRate * difference
        dAngle[i] += turn * massB / (massA + massB)
        dAngle[j] -= turn * massA / (massA + massB)
        return bodyOverlap
    }
}
