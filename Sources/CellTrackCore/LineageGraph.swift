/// One observed cell: a labelled region in one frame, reduced to what linking and lineage need.
///
/// Nodes are small (40 bytes: frame and area are stored as 32-bit integers), so a whole movie's
/// graph (500 frames × 1,000 cells) fits in memory while the label images themselves are
/// streamed.
public struct LineageNode: Sendable, Equatable, Codable {
    // stored in this order for a 40-byte stride
    private var frame32: Int32
    /// Label value of the region in that frame's label image (no identity across frames).
    public var label: UInt32
    public var centroidX: Double
    public var centroidY: Double
    /// Tip-to-tip length in pixels (`Region.length`).
    public var length: Double
    private var area32: Int32
    /// True when the region's bounding box touches the image border.
    public var touchesBorder: Bool
    /// True when glitch repair detached this node: a piece of a cell that segmentation split in
    /// one frame only. It has no parent and no children.
    public var isFragment: Bool

    /// Frame index (0-based, as given to the tracker).
    public var frame: Int {
        get { Int(frame32) }
        set { frame32 = Int32(clamping: newValue) }
    }
    /// Area in pixels.
    public var area: Int {
        get { Int(area32) }
        set { area32 = Int32(clamping: newValue) }
    }

    public init(frame: Int, label: UInt32, centroidX: Double, centroidY: Double, area: Int,
                length: Double, touchesBorder: Bool, isFragment: Bool = false) {
        self.frame32 = Int32(clamping: frame)
        self.label = label
        self.centroidX = centroidX
        self.centroidY = centroidY
        self.length = length
        self.area32 = Int32(clamping: area)
        self.touchesBorder = touchesBorder
        self.isFragment = isFragment
    }

    private enum CodingKeys: String, CodingKey {
        case frame, label, centroidX, centroidY, area, length, touchesBorder, isFragment
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(frame: try c.decode(Int.self, forKey: .frame), label: try c.decode(UInt32.self, forKey: .label),
                  centroidX: try c.decode(Double.self, forKey: .centroidX),
                  centroidY: try c.decode(Double.self, forKey: .centroidY),
                  area: try c.decode(Int.self, forKey: .area), length: try c.decode(Double.self, forKey: .length),
                  touchesBorder: try c.decode(Bool.self, forKey: .touchesBorder),
                  isFragment: try c.decode(Bool.self, forKey: .isFragment))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frame, forKey: .frame)
        try c.encode(label, forKey: .label)
        try c.encode(centroidX, forKey: .centroidX)
        try c.encode(centroidY, forKey: .centroidY)
        try c.encode(area, forKey: .area)
        try c.encode(length, forKey: .length)
        try c.encode(touchesBorder, forKey: .touchesBorder)
        try c.encode(isFragment, forKey: .isFragment)
    }
}

/// Node indices (−1 for none) stored as 32-bit integers, half the memory of `[Int]`, read and
/// written as `Int`. Encodes as a plain array of integers.
public struct NodeIndexColumn: Sendable, Equatable, Codable, RandomAccessCollection {
    @usableFromInline var storage: [Int32] = []

    public init() {}

    public init<S: Sequence>(_ indices: S) where S.Element == Int {
        storage = indices.map { Int32(truncatingIfNeeded: $0) }
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storage.count }

    @inlinable public subscript(i: Int) -> Int {
        get { Int(storage[i]) }
        set { storage[i] = Int32(truncatingIfNeeded: newValue) }
    }

    public mutating func append(_ index: Int) { storage.append(Int32(truncatingIfNeeded: index)) }

    /// The stored 32-bit values, as they are (for storing a column and reading it back).
    public init(rawValues: [Int32]) { storage = rawValues }
    public var rawValues: [Int32] { storage }

    public init(from decoder: Decoder) throws { storage = try [Int32](from: decoder) }
    public func encode(to encoder: Encoder) throws { try storage.encode(to: encoder) }
}

/// Why a division was called: the measurements the division rules were applied to.
public struct DivisionEvidence: Sendable, Equatable, Codable {
    /// Node indices in the graph.
    public var mother: Int
    public var daughterA: Int
    public var daughterB: Int
    /// Fraction of each daughter's pixels lying inside the (drift-corrected) mother.
    public var overlapA: Double
    public var overlapB: Double
    /// (area A + area B) / mother area.
    public var sizeRatio: Double
    /// True when the daughters touch (within the configured gap) in their frame.
    public var adjacent: Bool

    public init(mother: Int, daughterA: Int, daughterB: Int, overlapA: Double, overlapB: Double,
                sizeRatio: Double, adjacent: Bool) {
        self.mother = mother
        self.daughterA = daughterA
        self.daughterB = daughterB
        self.overlapA = overlapA
        self.overlapB = overlapB
        self.sizeRatio = sizeRatio
        self.adjacent = adjacent
    }
}

/// Violation of a lineage-graph invariant.
public enum LineageGraphError: Error, Equatable, CustomStringConvertible, Sendable {
    case edgeNotForward(parent: Int, child: Int)
    case secondParent(child: Int)
    case thirdChild(parent: Int)
    case nodeOutOfRange(Int)

    public var description: String {
        switch self {
        case let .edgeNotForward(p, c): return "edge \(p) → \(c) does not point forward in time"
        case let .secondParent(c): return "node \(c) already has a parent"
        case let .thirdChild(p): return "node \(p) already has two children"
        case let .nodeOutOfRange(n): return "node \(n) does not exist"
        }
    }
}

/// Cells of a movie as nodes `(frame, label)` with edges pointing forward in time.
///
/// Invariants (enforced by `link`, checked by `validate`): every edge goes from an earlier to a
/// later frame; a node has at most one parent and at most two children. A node with two children
/// is a division and has a `DivisionEvidence` entry. An edge may skip frames (a closed gap).
///
/// ```swift
/// var g = LineageGraph()
/// let a = g.addNode(LineageNode(frame: 0, label: 1, centroidX: 5, centroidY: 5, area: 20, length: 8, touchesBorder: false))
/// let b = g.addNode(LineageNode(frame: 1, label: 7, centroidX: 6, centroidY: 5, area: 21, length: 8, touchesBorder: false))
/// try g.link(parent: a, child: b)
/// ```
public struct LineageGraph: Sendable, Equatable, Codable {
    public private(set) var nodes: [LineageNode] = []
    /// Parent node index, or -1.
    public private(set) var parent = NodeIndexColumn()
    /// First and second child node index, or -1 (`firstChild` is filled first).
    public private(set) var firstChild = NodeIndexColumn()
    public private(set) var secondChild = NodeIndexColumn()
    /// One entry per node with two children, in the order the divisions were called.
    public var divisions: [DivisionEvidence] = []
    /// First and last frame index the tracker saw (frames may hold no cells); -1 when empty.
    public var firstFrame: Int = -1
    public var lastFrame: Int = -1

    public init() {}

    public var count: Int { nodes.count }

    @discardableResult
    public mutating func addNode(_ node: LineageNode) -> Int {
        nodes.append(node)
        parent.append(-1)
        firstChild.append(-1)
        secondChild.append(-1)
        return nodes.count - 1
    }

    /// The children of `node`, in insertion order.
    public func children(of node: Int) -> [Int] {
        var out: [Int] = []
        if firstChild[node] >= 0 { out.append(firstChild[node]) }
        if secondChild[node] >= 0 { out.append(secondChild[node]) }
        return out
    }

    public func childCount(of node: Int) -> Int {
        (firstChild[node] >= 0 ? 1 : 0) + (secondChild[node] >= 0 ? 1 : 0)
    }

    /// Adds the edge `parent → child`, enforcing the invariants.
    public mutating func link(parent p: Int, child c: Int) throws {
        guard p >= 0, p < nodes.count else { throw LineageGraphError.nodeOutOfRange(p) }
        guard c >= 0, c < nodes.count else { throw LineageGraphError.nodeOutOfRange(c) }
        guard nodes[p].frame < nodes[c].frame else { throw LineageGraphError.edgeNotForward(parent: p, child: c) }
        guard parent[c] < 0 else { throw LineageGraphError.secondParent(child: c) }
        if firstChild[p] < 0 {
            firstChild[p] = c
        } else if secondChild[p] < 0 {
            secondChild[p] = c
        } else {
            throw LineageGraphError.thirdChild(parent: p)
        }
        parent[c] = p
    }

    /// Removes the edge into `child` (if any) and the division evidence of its former parent.
    public mutating func unlink(child c: Int) {
        let p = parent[c]
        guard p >= 0 else { return }
        parent[c] = -1
        if firstChild[p] == c {
            firstChild[p] = secondChild[p]
            secondChild[p] = -1
        } else if secondChild[p] == c {
            secondChild[p] = -1
        }
        divisions.removeAll { $0.mother == p }
    }

    public mutating func markFragment(_ node: Int) {
        nodes[node].isFragment = true
    }

    /// Nodes taken out of a graph for streaming (`removePrefix`), with every index global: the
    /// node's number in the whole movie's graph.
    public struct Segment: Sendable, Equatable {
        /// Global index of `nodes[0]`.
        public var firstNode: Int
        public var nodes: [LineageNode]
        /// Global node indices or −1. A parent is −1 here when it was itself taken out earlier:
        /// `assemble` restores it from that parent's children.
        public var parent: [Int32]
        public var firstChild: [Int32]
        public var secondChild: [Int32]
        /// The divisions whose mother is among `nodes`, in the order they were called.
        public var divisions: [DivisionEvidence]

        public init(firstNode: Int, nodes: [LineageNode], parent: [Int32], firstChild: [Int32], secondChild: [Int32],
                    divisions: [DivisionEvidence]) {
            self.firstNode = firstNode
            self.nodes = nodes
            self.parent = parent
            self.firstChild = firstChild
            self.secondChild = secondChild
            self.divisions = divisions
        }
    }

    /// Takes out nodes `0..<k` (their edges and divisions), for a caller that streams a movie
    /// and stores what no longer changes. `offset` is the global index of node 0; the returned
    /// segment holds global indices. The graph keeps nodes `k...` renumbered from 0 (and its first
    /// and last frame); an edge from a removed parent is dropped from the kept child (the
    /// segment's child columns hold it).
    /// Division evidence keeps global indices throughout: the caller adds `offset` itself when
    /// it records divisions (`Tracker` does).
    public mutating func removePrefix(_ k: Int, offset: Int) -> Segment {
        precondition(k >= 0 && k <= nodes.count, "prefix length")
        func global(_ v: Int32) -> Int32 { v < 0 ? -1 : v + Int32(offset) }
        var segment = Segment(firstNode: offset, nodes: Array(nodes[..<k]),
                              parent: parent.storage[..<k].map(global), firstChild: firstChild.storage[..<k].map(global),
                              secondChild: secondChild.storage[..<k].map(global), divisions: [])
        let end = offset + k
        let split = divisions.firstIndex { $0.mother >= end } ?? divisions.count
        segment.divisions = Array(divisions[..<split])
        divisions.removeFirst(split)
        func local(_ v: Int32) -> Int32 { v < Int32(k) ? -1 : v - Int32(k) }
        nodes.removeFirst(k)
        parent.storage = parent.storage[k...].map(local)
        firstChild.storage = firstChild.storage[k...].map(local)
        secondChild.storage = secondChild.storage[k...].map(local)
        return segment
    }

    /// The whole graph from the segments taken out (`next` gives them in order, contiguous from
    /// node 0, then nil) and the rest, `tail`, whose node 0 follows the last segment. Division
    /// evidence is taken as global (see `removePrefix`). The result equals the graph that was
    /// never split. `capacity`: the total node count, if known.
    public init(assembling next: () throws -> Segment?, tail: LineageGraph, capacity: Int = 0) rethrows {
        nodes.reserveCapacity(capacity)
        parent.storage.reserveCapacity(capacity)
        firstChild.storage.reserveCapacity(capacity)
        secondChild.storage.reserveCapacity(capacity)
        while let s = try next() {
            precondition(s.firstNode == nodes.count, "segments out of order")
            nodes += s.nodes
            parent.storage += s.parent
            firstChild.storage += s.firstChild
            secondChild.storage += s.secondChild
            divisions += s.divisions
        }
        let offset = Int32(nodes.count)
        func global(_ v: Int32) -> Int32 { v < 0 ? -1 : v + offset }
        nodes += tail.nodes
        parent.storage += tail.parent.storage.map(global)
        firstChild.storage += tail.firstChild.storage.map(global)
        secondChild.storage += tail.secondChild.storage.map(global)
        divisions += tail.divisions
        // parents dropped by removePrefix: from their children
        for p in 0..<nodes.count {
            let a = firstChild.storage[p], b = secondChild.storage[p]
            if a >= 0 { parent.storage[Int(a)] = Int32(p) }
            if b >= 0 { parent.storage[Int(b)] = Int32(p) }
        }
        firstFrame = tail.firstFrame   // removePrefix keeps them
        lastFrame = tail.lastFrame
    }

    /// Checks every invariant; throws the first violation found.
    public func validate() throws {
        for c in 0..<nodes.count {
            let p = parent[c]
            if p >= 0 {
                guard nodes[p].frame < nodes[c].frame else { throw LineageGraphError.edgeNotForward(parent: p, child: c) }
                guard firstChild[p] == c || secondChild[p] == c else { throw LineageGraphError.secondParent(child: c) }
            }
            for k in children(of: c) where parent[k] != c {
                throw LineageGraphError.thirdChild(parent: c)
            }
        }
    }
}
