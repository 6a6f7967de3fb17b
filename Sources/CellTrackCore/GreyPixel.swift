/// A grey pixel type the segmenters read directly: `Float`, `UInt16` or `UInt8`.
///
/// Integer frames stay in their 2 or 1 bytes per pixel until the first filter reads them, so a
/// 12.3-MP uint16 frame holds 24.6 MB instead of 49 MB as `Float`, and is never converted as a
/// separate pass. Every value converts to `Float` exactly, so results equal those on the frame
/// converted first.
///
/// ```swift
/// let frame = Image<UInt16>(width: 2, height: 1, repeating: 300)
/// let asFloat = frame.map(\.floatValue)   // [300.0, 300.0]
/// ```
public protocol GreyPixel: Sendable {
    var floatValue: Float { get }
    /// `Double(floatValue)`, converted directly.
    var doubleValue: Double { get }
}

extension Float: GreyPixel {
    @inlinable public var floatValue: Float { self }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension UInt16: GreyPixel {
    @inlinable public var floatValue: Float { Float(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension UInt8: GreyPixel {
    @inlinable public var floatValue: Float { Float(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Image where Pixel: GreyPixel {
    /// The image as `Float` (itself, without a copy, when it already is).
    @inlinable public var asFloat: Image<Float> {
        if let same = self as? Image<Float> { return same }
        return map(\.floatValue)
    }
}

/// A frame as read from a file: integer frames keep their sample type (see `GreyPixel`).
public enum GreyImage: Sendable {
    case float(Image<Float>)
    case uint16(Image<UInt16>)
    case uint8(Image<UInt8>)

    /// The frame as `Float`.
    public var asFloat: Image<Float> {
        switch self { case .float(let i): i; case .uint16(let i): i.asFloat; case .uint8(let i): i.asFloat }
    }

    public var width: Int {
        switch self { case .float(let i): i.width; case .uint16(let i): i.width; case .uint8(let i): i.width }
    }

    public var height: Int {
        switch self { case .float(let i): i.height; case .uint16(let i): i.height; case .uint8(let i): i.height }
    }
}
