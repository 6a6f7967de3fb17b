import CellTrackCore
import Foundation
import Tracking

/// The lineage graph's frozen nodes (`Tracker.removeFrozen`) in a temporary file while a movie
/// streams, read back once at its end for the repairs and the lineage. Why: the graph is ~70
/// bytes per cell (750,000 cells: 52 MB), and kept in memory it made peak RSS grow with the
/// movie's length. The file holds plain memory images of the records, is read by this process
/// only, and has no name once created (it vanishes with the process, even a killed one).
///
/// ```swift
/// let spill = try GraphSpill()
/// // per frame, after linking:
/// if let frozen = tracker.removeFrozen() { try spill.append(frozen) }
/// // at the end:
/// let graph = try tracker.takeFinished(segments: spill.reader())
/// ```
final class GraphSpill {
    let path: String
    private let handle: FileHandle
    private(set) var segments = 0

    /// A new, empty file in `directory` (default: the system's temporary directory).
    init(directory: String? = nil) throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.path
        path = (dir as NSString).appendingPathComponent(".celltrack-graph-\(getpid())-\(UUID().uuidString).bin")
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forUpdatingAtPath: path) else {
            throw InputError(file: path, frame: nil, problem: "cannot create the temporary file for the lineage graph")
        }
        handle = h
        // unlinked at once: the open handle keeps it, and the system deletes it when the handle
        // closes, even if the process is killed
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit {
        try? handle.close()
    }

    func append(_ s: TrackerSegment) throws {
        var data = Data()
        let header: [Int64] = [Int64(s.graph.firstNode), Int64(s.graph.nodes.count), Int64(s.graph.divisions.count)]
        func add<T>(_ array: [T]) { array.withUnsafeBytes { data.append(contentsOf: $0) } }
        add(header)
        add(s.graph.nodes)
        add(s.graph.parent)
        add(s.graph.firstChild)
        add(s.graph.secondChild)
        add(s.graph.divisions)
        add(s.successor)
        add(s.successorFraction)
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw InputError(file: path, frame: nil, problem: "cannot write the lineage graph's temporary file: \(error.localizedDescription)")
        }
        segments += 1
    }

    /// A closure giving the stored segments in order, then nil.
    func reader() throws -> () throws -> TrackerSegment? {
        try handle.seek(toOffset: 0)
        var left = segments
        return { [handle, path] in
            guard left > 0 else { return nil }
            left -= 1
            func read<T>(_ type: T.Type, _ count: Int) throws -> [T] {
                let bytes = count * MemoryLayout<T>.stride
                if bytes == 0 { return [] }
                guard let data = try handle.read(upToCount: bytes), data.count == bytes else {
                    throw InputError(file: path, frame: nil, problem: "the lineage graph's temporary file is truncated")
                }
                return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    data.withUnsafeBytes { raw in
                        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                    }
                    initialized = count
                }
            }
            let header = try read(Int64.self, 3)
            let n = Int(header[1]), d = Int(header[2])
            let graph = LineageGraph.Segment(firstNode: Int(header[0]), nodes: try read(LineageNode.self, n),
                                             parent: try read(Int32.self, n), firstChild: try read(Int32.self, n),
                                             secondChild: try read(Int32.self, n),
                                             divisions: try read(DivisionEvidence.self, d))
            return TrackerSegment(graph: graph, successor: try read(Int32.self, n),
                                  successorFraction: try read(Double.self, n))
        }
    }
}
