import CellTrackCore

/// Marker-controlled watershed by priority flood, equal to
/// `skimage.segmentation.watershed(image, markers, connectivity=1|2, mask=mask)` (compactness 0,
/// no watershed line), scikit-image 0.26.
///
/// The queue is the same binary min-heap as skimage's `heap_general.pxi`, ordered by
/// `(value, age)`: markers enter in raster order with age 0 and their own value; each newly
/// reached neighbour gets the next age and is labelled when it is *pushed*, with priority
/// `max(its value, the priority of the pixel that reached it)` (the flood never goes downhill).
/// Neighbours are visited in skimage's order (edge neighbours up, left, right, down; then corners
/// up-left, up-right, down-left, down-right). Replicating the heap (not only its ordering key)
/// keeps even ties between equal-valued markers identical.
///
/// Markers outside the mask are ignored; pixels outside the mask stay 0; every masked pixel
/// connected to a marker gets that marker's label.
///
/// ```swift
/// let labels = try Watershed.flood(negDistance, markers: markers, mask: foreground, connectivity: .four)
/// ```
public enum Watershed {
    /// Validating entry point: sizes must match.
    @inlinable
    public static func flood<Value: Comparable & Sendable>(_ image: Image<Value>, markers: LabelImage, mask: Mask?,
                                                          connectivity: Connectivity = .four) throws -> LabelImage {
        guard markers.width == image.width, markers.height == image.height else {
            throw ParameterError.invalid(name: "markers", value: "\(markers.width)x\(markers.height)",
                                         reason: "must match the image size \(image.width)x\(image.height)")
        }
        if let mask, mask.width != image.width || mask.height != image.height {
            throw ParameterError.invalid(name: "mask", value: "\(mask.width)x\(mask.height)",
                                         reason: "must match the image size \(image.width)x\(image.height)")
        }
        return floodUnchecked(image, markers: markers, mask: mask, connectivity: connectivity)
    }

    /// Heap item, the fields skimage orders by plus the pixel.
    @usableFromInline
    struct Item<Value> {
        @usableFromInline var value: Value
        @usableFromInline var age: Int32
        @usableFromInline var index: Int32
        @inlinable init(value: Value, age: Int32, index: Int32) {
            self.value = value; self.age = age; self.index = index
        }
    }

    /// Fast core. Assumes matching sizes and fewer than 2³¹ pixels.
    @inlinable
    public static func floodUnchecked<Value: Comparable & Sendable>(_ image: Image<Value>, markers: LabelImage, mask: Mask?,
                                                                    connectivity: Connectivity) -> LabelImage {
        let w = image.width, h = image.height
        if w == 0 || h == 0 { return markers }
        // pad by one pixel so neighbours never leave the buffers (the frame is outside the mask)
        let pw = w + 2, ph = h + 2
        var inMask = [UInt8](repeating: 0, count: pw * ph)
        var output = [UInt32](repeating: 0, count: pw * ph)
        var values = [Value](repeating: image.pixels[0], count: pw * ph)
        var markerCount = 0
        image.withUnsafeBufferPointer { img in
            markers.withUnsafeBufferPointer { mk in
                inMask.withUnsafeMutableBufferPointer { m in
                    output.withUnsafeMutableBufferPointer { o in
                        values.withUnsafeMutableBufferPointer { v in
                            for y in 0..<h {
                                let src = y * w, dst = (y + 1) * pw + 1
                                for x in 0..<w {
                                    let on: Bool = mask.map { $0.pixels[src + x] != 0 } ?? true
                                    m[dst + x] = on ? 1 : 0
                                    let l = on ? mk[src + x] : 0
                                    o[dst + x] = l
                                    if l != 0 { markerCount += 1 }
                                    v[dst + x] = img[src + x]
                                }
                            }
                        }
                    }
                }
            }
        }
        let offsets: [Int] = connectivity == .four
            ? [-pw, -1, 1, pw]
            : [-pw, -1, 1, pw, -pw - 1, -pw + 1, pw - 1, pw + 1]
        var heap = [Item<Value>]()
        heap.reserveCapacity(max(markerCount * 2, 1024))
        inMask.withUnsafeBufferPointer { m in
            output.withUnsafeMutableBufferPointer { o in
                values.withUnsafeBufferPointer { v in
                    offsets.withUnsafeBufferPointer { nb in
                        @inline(__always) func smaller(_ a: Item<Value>, _ b: Item<Value>) -> Bool {
                            if a.value != b.value { return a.value < b.value }
                            return a.age < b.age
                        }
                        @inline(__always) func push(_ item: Item<Value>) {
                            var child = heap.count
                            heap.append(item)
                            heap.withUnsafeMutableBufferPointer { hp in
                                while child > 0 {
                                    let parent = (child + 1) / 2 - 1
                                    if smaller(hp[child], hp[parent]) {
                                        hp.swapAt(parent, child)
                                        child = parent
                                    } else { break }
                                }
                            }
                        }
                        @inline(__always) func pop() -> Item<Value> {
                            let top = heap[0]
                            let last = heap.removeLast()
                            let items = heap.count
                            if items == 0 { return top }
                            heap.withUnsafeMutableBufferPointer { hp in
                                hp[0] = last
                                var i = 0
                                var smallest = 0
                                while true {
                                    let l = i * 2 + 1, r = i * 2 + 2
                                    if l < items {
                                        if smaller(hp[l], hp[i]) { smallest = l }
                                        if r < items && smaller(hp[r], hp[smallest]) { smallest = r }
                                    } else { break }
                                    if smallest == i { break }
                                    hp.swapAt(i, smallest)
                                    i = smallest
                                }
                            }
                            return top
                        }
                        for i in 0..<o.count where o[i] != 0 {
                            push(Item(value: v[i], age: 0, index: Int32(i)))
                        }
                        var age: Int32 = 1
                        while !heap.isEmpty {
                            let e = pop()
                            let p = Int(e.index)
                            let label = o[p]
                            for k in 0..<nb.count {
                                let q = p + nb[k]
                                if m[q] == 0 || o[q] != 0 { continue }
                                age += 1
                                o[q] = label
                                // a pixel costs at least what the pixel that reached it cost
                                let value = v[q] < e.value ? e.value : v[q]
                                push(Item(value: value, age: age, index: Int32(q)))
                            }
                        }
                    }
                }
            }
        }
        var result = [UInt32](repeating: 0, count: w * h)
        output.withUnsafeBufferPointer { o in
            result.withUnsafeMutableBufferPointer { r in
                for y in 0..<h {
                    let src = (y + 1) * pw + 1, dst = y * w
                    for x in 0..<w { r[dst + x] = o[src + x] }
                }
            }
        }
        return LabelImage(uncheckedWidth: w, height: h, pixels: result, pixelSize: image.pixelSize)
    }
}
