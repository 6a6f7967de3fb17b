/// Where a frame came from: a file, and the page (directory) inside it.
public struct FrameSource: Sendable, Equatable, Hashable {
    public var path: String
    public var page: Int
    public init(path: String, page: Int) {
        self.path = path
        self.page = page
    }
}

/// One time point of a movie, as floating-point grey values (already converted from RGB and
/// from the file's sample type).
public struct Frame: Sendable {
    /// 0-based index within the movie.
    public var index: Int
    /// Acquisition time in minutes from the first frame, when the interval is known.
    public var timeMinutes: Double?
    public var image: Image<Float>
    public var source: FrameSource

    public init(index: Int, timeMinutes: Double?, image: Image<Float>, source: FrameSource) {
        self.index = index
        self.timeMinutes = timeMinutes
        self.image = image
        self.source = source
    }
}
