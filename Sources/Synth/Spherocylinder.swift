import Foundation

/// A 2-D spherocylinder (a rod with hemispherical caps): the shape of one bacterium.
///
/// `length` is tip to tip and `width` the diameter, both in the same unit as the centre
/// (µm in the simulation, pixels when rendering). The axis segment runs between the centres
/// of the two caps, `halfAxis = (length - width) / 2` either side of the centre.
public struct Spherocylinder: Sendable, Equatable {
    public var centerX: Double
    public var centerY: Double
    /// Angle of the long axis from the +x axis (radians).
    public var angle: Double
    public var length: Double
    public var width: Double

    public init(centerX: Double, centerY: Double, angle: Double, length: Double, width: Double) {
        self.centerX = centerX
        self.centerY = centerY
        self.angle = angle
        self.length = length
        self.width = width
    }

    @inlinable public var radius: Double { width / 2 }
    @inlinable public var halfAxis: Double { max(0, (length - width) / 2) }
    @inlinable public var axisX: Double { cos(angle) }
    @inlinable public var axisY: Double { sin(angle) }

    /// The two cap centres (ends of the axis segment).
    public var axisEnds: (x0: Double, y0: Double, x1: Double, y1: Double) {
        let a = halfAxis, ux = axisX, uy = axisY
        return (centerX - a * ux, centerY - a * uy, centerX + a * ux, centerY + a * uy)
    }

    /// Area of the shape: rectangle plus a disk.
    public var area: Double {
        let r = radius
        return 2 * halfAxis * width + Double.pi * r * r
    }

    /// Distance from a point to the axis segment (0 on the axis; `radius` on the outline).
    @inlinable
    public func axisDistance(x: Double, y: Double) -> Double {
        let ux = cos(angle), uy = sin(angle)
        let dx = x - centerX, dy = y - centerY
        let along = min(max(dx * ux + dy * uy, -halfAxis), halfAxis)
        let ex = dx - along * ux, ey = dy - along * uy
        return (ex * ex + ey * ey).squareRoot()
    }
}

/// Closest points between two segments P0P1 and Q0Q1 (Ericson, Real-Time Collision
/// Detection §5.1.9). Returns the parameters along each segment and the closest points.
@usableFromInline
func closestPointsBetweenSegments(
    _ p0x: Double, _ p0y: Double, _ p1x: Double, _ p1y: Double,
    _ q0x: Double, _ q0y: Double, _ q1x: Double, _ q1y: Double
) -> (px: Double, py: Double, qx: Double, qy: Double) {
    let d1x = p1x - p0x, d1y = p1y - p0y
    let d2x = q1x - q0x, d2y = q1y - q0y
    let rx = p0x - q0x, ry = p0y - q0y
    let a = d1x * d1x + d1y * d1y
    let e = d2x * d2x + d2y * d2y
    let f = d2x * rx + d2y * ry
    let epsilon = 1e-12
    var s = 0.0, t = 0.0
    if a <= epsilon && e <= epsilon {
        s = 0; t = 0
    } else if a <= epsilon {
        s = 0
        t = min(max(f / e, 0), 1)
    } else {
        let c = d1x * rx + d1y * ry
        if e <= epsilon {
            t = 0
            s = min(max(-c / a, 0), 1)
        } else {
            let b = d1x * d2x + d1y * d2y
            let denom = a * e - b * b
            s = denom > epsilon ? min(max((b * f - c * e) / denom, 0), 1) : 0
            t = (b * s + f) / e
            if t < 0 {
                t = 0
                s = min(max(-c / a, 0), 1)
            } else if t > 1 {
                t = 1
                s = min(max((b - c) / a, 0), 1)
            }
        }
    }
    return (p0x + d1x * s, p0y + d1y * s, q0x + d2x * t, q0y + d2y * t)
}
