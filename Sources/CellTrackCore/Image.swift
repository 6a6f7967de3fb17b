/// A 2-D image: `width × height` pixels in one contiguous row-major buffer.
///
/// `Image` is a value type (copy-on-write through its `Array` storage). Hot loops should use
/// flat indices `y * width + x` over `withUnsafeBufferPointer`.
///
/// ```swift
/// var img = Image<UInt16>(width: 4, height: 3, repeating: 0)
/// img[2, 1] = 500
/// let total = img.withUnsafeBufferPointer { $0.reduce(0) { $0 + Int($1) } }   // 500
/// ```
public struct Image<Pixel>: Sendable where Pixel: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major pixels; `pixels.count == width * height` always holds.
    public var pixels: [Pixel]
    /// Physical size of one pixel in µm, when known. Square pixels are assumed.
    public var pixelSize: Double?

    /// Creates an image from row-major pixels. Throws when the count does not match.
    public init(width: Int, height: Int, pixels: [Pixel], pixelSize: Double? = nil) throws {
        guard width >= 0, height >= 0 else {
            throw ParameterError.invalid(name: "size", value: "\(width)x\(height)", reason: "must not be negative")
        }
        guard pixels.count == width * height else {
            throw ParameterError.invalid(name: "pixels", value: "\(pixels.count)",
                                         reason: "expected width*height = \(width * height) pixels")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
        self.pixelSize = pixelSize
    }

    /// Unchecked initialiser for the fast core. Assumes `pixels.count == width * height`.
    @inlinable
    public init(uncheckedWidth width: Int, height: Int, pixels: [Pixel], pixelSize: Double? = nil) {
        assert(pixels.count == width * height)
        self.width = width
        self.height = height
        self.pixels = pixels
        self.pixelSize = pixelSize
    }

    @inlinable
    public init(width: Int, height: Int, repeating value: Pixel, pixelSize: Double? = nil) {
        precondition(width >= 0 && height >= 0, "image size must not be negative")
        self.width = width
        self.height = height
        self.pixels = Array(repeating: value, count: width * height)
        self.pixelSize = pixelSize
    }

    @inlinable public var count: Int { width * height }

    /// Bounds-checked pixel access (slow path, for tests and tools).
    @inlinable
    public subscript(x: Int, y: Int) -> Pixel {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            return pixels[y * width + x]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
            pixels[y * width + x] = newValue
        }
    }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Pixel>) throws -> R) rethrows -> R {
        try pixels.withUnsafeBufferPointer(body)
    }

    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Pixel>) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer(body)
    }

    /// A new image of the same size whose pixels are `transform` of these.
    @inlinable
    public func map<T>(_ transform: (Pixel) throws -> T) rethrows -> Image<T> {
        Image<T>(uncheckedWidth: width, height: height, pixels: try pixels.map(transform), pixelSize: pixelSize)
    }
}

extension Image: Equatable where Pixel: Equatable {}
extension Image: Hashable where Pixel: Hashable {}

/// Instance labels: 0 is background, every other value one object in this frame.
/// Label values carry no identity across frames.
public typealias LabelImage = Image<UInt32>

/// A binary mask (0 = off, 1 = on). `UInt8` rather than `Bool` keeps buffers byte-addressable.
public typealias Mask = Image<UInt8>
