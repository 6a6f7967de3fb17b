/// Cell Tracking Challenge track segments.
///
/// A CTC track must be present in every frame from its begin to its end. A track whose gap
/// was closed (a cell missed for a frame or two) is therefore written as several segments:
/// the first keeps the track id, later ones get new labels after the largest track id, each
/// with the previous segment as parent. Daughters point at their mother's last segment.
///
/// ```swift
/// let s = CTCSegments.make(tracks: [(id: 1, parent: nil, frames: [0, 1, 3])])
/// // s.lines == [CTCSegment(label: 1, begin: 0, end: 1, parent: 0),
/// //             CTCSegment(label: 2, begin: 3, end: 3, parent: 1)]
/// // s.label(track: 1, frame: 3) == 2
/// ```
public struct CTCSegment: Sendable, Equatable {
    public var label: Int
    public var begin: Int
    public var end: Int
    /// 0 for none.
    public var parent: Int
}

public struct CTCSegments: Sendable {
    /// `res_track.txt` lines: tracks' first segments in track order, then the extra segments.
    public private(set) var lines: [CTCSegment] = []
    private var labelOfTrackFrame: [Int: [(frame: Int, label: Int)]] = [:]

    /// `tracks` must have ascending, unique ids, non-empty ascending frames, and parents that
    /// are tracks of the list.
    public static func make(tracks: [(id: Int, parent: Int?, frames: [Int])]) -> CTCSegments {
        var result = CTCSegments()
        var nextLabel = (tracks.map(\.id).max() ?? 0) + 1
        var lastSegment: [Int: Int] = [:]
        var extra: [CTCSegment] = []
        // Parents come before daughters in id order (ids grow with first frame), but do not rely
        // on it: resolve parents after all segments are known.
        var firstSegments: [(segment: CTCSegment, parentTrack: Int?)] = []
        for t in tracks {
            var label = t.id
            var begin = t.frames[0]
            var previous = begin
            var labels: [(Int, Int)] = []
            var segments: [(label: Int, begin: Int, end: Int)] = []
            for f in t.frames {
                if f > previous + 1 {
                    segments.append((label, begin, previous))
                    label = nextLabel
                    nextLabel += 1
                    begin = f
                }
                labels.append((f, label))
                previous = f
            }
            segments.append((label, begin, previous))
            result.labelOfTrackFrame[t.id] = labels
            for (k, s) in segments.enumerated() {
                if k == 0 {
                    firstSegments.append((CTCSegment(label: s.label, begin: s.begin, end: s.end, parent: 0), t.parent))
                } else {
                    extra.append(CTCSegment(label: s.label, begin: s.begin, end: s.end, parent: segments[k - 1].label))
                }
            }
            lastSegment[t.id] = segments[segments.count - 1].label
        }
        for (segment, parentTrack) in firstSegments {
            var s = segment
            s.parent = parentTrack.flatMap { lastSegment[$0] } ?? 0
            result.lines.append(s)
        }
        result.lines += extra
        return result
    }

    /// The CTC label of `track` in `frame` (the track's id unless a gap split it).
    public func label(track: Int, frame: Int) -> Int {
        guard let labels = labelOfTrackFrame[track] else { return track }
        // Binary search: frames ascend.
        var lo = 0, hi = labels.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if labels[mid].frame == frame { return labels[mid].label }
            if labels[mid].frame < frame { lo = mid + 1 } else { hi = mid - 1 }
        }
        return track
    }

    /// The text of `res_track.txt`: one `L B E P` line per segment.
    public var resTrackText: String {
        lines.map { "\($0.label) \($0.begin) \($0.end) \($0.parent)\n" }.joined()
    }
}
