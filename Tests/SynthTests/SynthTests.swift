import CellTrackCore
import Foundation
import XCTest
@testable import Synth

/// A movie small enough for debug builds: 0.2 µm pixels make rods ~6 px wide.
func smallParameters(seed: UInt64 = 7, frames: Int = 24) -> SynthParameters {
    var p = SynthParameters()
    p.width = 96
    p.height = 80
    p.pixelSize = 0.2
    p.frames = frames
    p.interval = 4
    p.initialCells = 3
    p.seed = seed
    p.drift = 0.05
    return p
}

struct GeneratedMovie {
    var frames: [SynthFrame]
    var tracks: [TrackTruth]
}

func generate(_ p: SynthParameters) throws -> GeneratedMovie {
    var movie = try SynthMovie(parameters: p)
    var frames: [SynthFrame] = []
    while let frame = movie.nextFrame() { frames.append(frame) }
    return GeneratedMovie(frames: frames, tracks: movie.tracks)
}

final class SynthMovieTests: XCTestCase {
    func testSameSeedGivesIdenticalFramesAndLabels() throws {
        let a = try generate(smallParameters(seed: 3, frames: 10))
        let b = try generate(smallParameters(seed: 3, frames: 10))
        let c = try generate(smallParameters(seed: 4, frames: 10))
        XCTAssertEqual(a.frames.count, 10)
        for (fa, fb) in zip(a.frames, b.frames) {
            XCTAssertEqual(fa.channels, fb.channels)
            XCTAssertEqual(fa.labels, fb.labels)
            XCTAssertEqual(fa.cells, fb.cells)
        }
        XCTAssertEqual(a.tracks, b.tracks)
        XCTAssertNotEqual(a.frames[0].channels, c.frames[0].channels)
    }

    func testMovieHasGrowthDivisionsAndTracks() throws {
        let movie = try generate(smallParameters())
        XCTAssertGreaterThan(movie.tracks.count, 6)
        XCTAssertGreaterThan(movie.tracks.filter(\.isCompleteCycle).count, 0)
        // Cells are dark on a brighter background in phase contrast.
        let frame = movie.frames[5]
        var inside = 0.0, outside = 0.0, nIn = 0.0, nOut = 0.0
        for i in 0..<frame.labels.count {
            if frame.labels.pixels[i] != 0 { inside += Double(frame.channels[0].pixels[i]); nIn += 1 }
            else { outside += Double(frame.channels[0].pixels[i]); nOut += 1 }
        }
        XCTAssertLessThan(inside / nIn, 0.7 * outside / nOut)
    }

    func testFittedGrowthRateEqualsDrawnRate() throws {
        let movie = try generate(smallParameters())
        var checked = 0
        for track in movie.tracks where track.times.count >= 2 {
            let fitted = fitLogSlopePerHour(times: track.times, values: track.lengths)
            XCTAssertEqual(fitted, track.growthRatePerHour, accuracy: 1e-9 * track.growthRatePerHour,
                           "track \(track.trackID)")
            // Doubling times 20–60 min → μ in ln2/1h … ln2/(1/3)h.
            XCTAssertGreaterThanOrEqual(track.growthRatePerHour, log(2) - 1e-12)
            XCTAssertLessThanOrEqual(track.growthRatePerHour, 3 * log(2) + 1e-12)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 5)
    }

    func testDivisionsConserveLengthAndDaughtersFollowMother() throws {
        let movie = try generate(smallParameters())
        let byID = Dictionary(uniqueKeysWithValues: movie.tracks.map { ($0.trackID, $0) })
        var divisions = 0
        for mother in movie.tracks where mother.fate == .divided {
            let daughters = movie.tracks.filter { $0.parentID == mother.trackID }
            XCTAssertLessThanOrEqual(daughters.count, 2)
            guard daughters.count == 2, let divisionLength = mother.divisionLength else { continue }
            divisions += 1
            let sum = daughters.compactMap(\.birthLength).reduce(0, +)
            XCTAssertEqual(sum, divisionLength, accuracy: 1e-9)
            for d in daughters {
                XCTAssertEqual(d.firstFrame, mother.lastFrame + 1)
                XCTAssertGreaterThan(d.birthLength!, 0.3 * divisionLength)
                // The last observed length is below the division length, the first daughter length above its birth.
                XCTAssertLessThanOrEqual(mother.lengths.last!, divisionLength + 1e-12)
                XCTAssertGreaterThanOrEqual(d.lengths.first!, d.birthLength! - 1e-12)
            }
        }
        XCTAssertGreaterThan(divisions, 1)
        for track in movie.tracks where track.parentID != 0 { XCTAssertNotNil(byID[track.parentID]) }
    }

    /// A dense colony (seed 1 of scripts/eval.sh: 4 cells grown for 3 h to ~90): no two rods
    /// interpenetrate by more than the relaxation's tolerance (8 fixed sweeps left 0.23 µm).
    func testDenseColonySettlesWithoutInterpenetration() throws {
        var p = SynthParameters()
        p.width = 384; p.height = 384; p.pixelSize = 0.065; p.initialCells = 4; p.seed = 1
        p.interval = 3; p.frames = 60
        var movie = try SynthMovie(parameters: p)
        var last: SynthFrame?
        while let frame = movie.nextFrame() { last = frame }
        let frame = try XCTUnwrap(last)
        let shapes = frame.cells.map {
            Spherocylinder(centerX: $0.centerX, centerY: $0.centerY, angle: $0.angle,
                           length: $0.length / p.pixelSize, width: $0.width / p.pixelSize)
        }
        XCTAssertGreaterThan(shapes.count, 60)
        var worst = 0.0, above = 0, pairs = 0
        for i in shapes.indices { for j in shapes.indices where j > i {
            let o = ColonySimulation.overlap(shapes[i], shapes[j])
            worst = max(worst, o)
            if o > 0 { pairs += 1 }
            if o > ColonySimulation.overlapTolerance / p.pixelSize + 1e-6 { above += 1 }
        } }
        XCTAssertLessThanOrEqual(worst, ColonySimulation.overlapTolerance / p.pixelSize + 1e-6, "px; \(above) of \(pairs) touching pairs above, \(shapes.count) cells")
    }

    func testCellsDoNotOverlapAndMasksLieInsideTheirCells() throws {
        let p = smallParameters()
        let movie = try generate(p)
        for frame in movie.frames {
            let shapes = frame.cells.map {
                Spherocylinder(centerX: $0.centerX, centerY: $0.centerY, angle: $0.angle,
                               length: $0.length / p.pixelSize, width: $0.width / p.pixelSize)
            }
            for i in shapes.indices {
                for j in shapes.indices where j > i {
                    // Overlap in pixels; relaxation leaves at most a small fraction of a pixel.
                    XCTAssertLessThan(ColonySimulation.overlap(shapes[i], shapes[j]), 0.35,
                                      "frame \(frame.index) tracks \(frame.cells[i].trackID),\(frame.cells[j].trackID)")
                }
            }
            let shapeOfTrack = Dictionary(uniqueKeysWithValues: zip(frame.cells.map(\.trackID), shapes))
            for y in 0..<frame.labels.height {
                for x in 0..<frame.labels.width {
                    let label = Int(frame.labels[x, y])
                    guard label != 0 else { continue }
                    let shape = try XCTUnwrap(shapeOfTrack[label])
                    XCTAssertLessThanOrEqual(shape.axisDistance(x: Double(x), y: Double(y)), shape.radius + 1e-9)
                }
            }
        }
    }

    func testEveryTrackIsPresentFromFirstToLastFrame() throws {
        let movie = try generate(smallParameters())
        var present: [Int: [Int]] = [:]
        for frame in movie.frames {
            for label in Set(frame.labels.pixels) where label != 0 { present[Int(label), default: []].append(frame.index) }
        }
        XCTAssertEqual(present.count, movie.tracks.count)
        for track in movie.tracks {
            XCTAssertEqual(present[track.trackID]?.sorted(), Array(track.firstFrame...track.lastFrame),
                           "track \(track.trackID)")
            XCTAssertEqual(track.maskPixels.count, track.lastFrame - track.firstFrame + 1)
        }
    }

    func testManTrackMatchesMasks() throws {
        let movie = try generate(smallParameters())
        let text = TruthTables.manTrack(movie.tracks)
        var rows: [Int: (b: Int, e: Int, p: Int)] = [:]
        for line in text.split(separator: "\n") {
            let v = line.split(separator: " ").compactMap { Int($0) }
            XCTAssertEqual(v.count, 4)
            rows[v[0]] = (v[1], v[2], v[3])
        }
        XCTAssertEqual(rows.count, movie.tracks.count)
        for frame in movie.frames {
            let labels = Set(frame.labels.pixels).subtracting([0]).map(Int.init)
            let expected = rows.filter { $0.value.b <= frame.index && frame.index <= $0.value.e }.map(\.key)
            XCTAssertEqual(Set(labels), Set(expected), "frame \(frame.index)")
        }
        for (label, row) in rows where row.p != 0 {
            let parent = try XCTUnwrap(rows[row.p], "parent of \(label)")
            XCTAssertEqual(parent.e + 1, row.b, "a daughter starts the frame after its mother ends")
        }
    }

    func testTruthTablesHaveTheColumnsGradersRead() throws {
        let movie = try generate(smallParameters())
        let tracksCSV = TruthTables.gtTracksCSV(movie.tracks).split(separator: "\n")
        XCTAssertEqual(String(tracksCSV[0]),
                       "track_id,parent_id,first_frame,last_frame,fate,growth_rate_per_h,birth_length_um,division_length_um")
        XCTAssertEqual(tracksCSV.count, movie.tracks.count + 1)
        let cells = TruthTables.gtCellsCSV(movie.tracks).split(separator: "\n", omittingEmptySubsequences: false)
        let header = cells[0].split(separator: ",").map(String.init)
        for column in ["label", "complete_cycle", "growth_rate_per_h", "fit_true_length_per_h", "fit_mask_area_per_h"] {
            XCTAssertTrue(header.contains(column), column)
        }
        let complete = cells.dropFirst().filter { $0.split(separator: ",").count > 7 && $0.split(separator: ",")[7] == "1" }
        XCTAssertEqual(complete.count, movie.tracks.filter(\.isCompleteCycle).count)
    }

    func testNoiseFreeMovieIsTheRoundedExpectation() throws {
        var p = smallParameters(frames: 2)
        p.noise = 0
        p.polarity = .bright
        let movie = try generate(p)
        // Fluorescence: cells brighter than the background; no noise → neighbouring background
        // pixels differ only by the smooth illumination.
        let frame = movie.frames[1]
        let background = frame.channels[0][0, 0], cell = frame.cells[0]
        XCTAssertGreaterThan(frame.channels[0][Int(cell.centerX.rounded()), Int(cell.centerY.rounded())], 2 * background)
        XCTAssertLessThanOrEqual(abs(Int(frame.channels[0][1, 0]) - Int(background)), 200)
    }

    func testRGBHasThreeChannelsAndEightBits() throws {
        var p = smallParameters(frames: 2)
        p.rgb = true
        p.bitDepth = 8
        let movie = try generate(p)
        XCTAssertEqual(movie.frames[0].channels.count, 3)
        XCTAssertLessThanOrEqual(movie.frames[0].channels.flatMap(\.pixels).max()!, 255)
        XCTAssertNotEqual(movie.frames[0].channels[0], movie.frames[0].channels[2])
    }
}

final class SynthParameterTests: XCTestCase {
    func testDefaultsAreValidAndRoundTripThroughJSON() throws {
        let p = SynthParameters()
        XCTAssertNoThrow(try p.validate())
        let decoded = try JSONDecoder().decode(SynthParameters.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(decoded, p)
    }

    func testConfigurationOverlaysDefaultsAndRejectsTypos() throws {
        let p = try SynthParameters.fromConfiguration(Data(#"{"frames": 7, "polarity": "bright"}"#.utf8))
        var expected = SynthParameters()
        expected.frames = 7
        expected.polarity = .bright
        XCTAssertEqual(p, expected)
        let nested = try SynthParameters.fromConfiguration(Data(#"{"tool": "x", "parameters": {"seed": 9}}"#.utf8))
        XCTAssertEqual(nested.seed, 9)
        XCTAssertThrowsError(try SynthParameters.fromConfiguration(Data(#"{"frame": 7}"#.utf8)))
        XCTAssertThrowsError(try SynthParameters.fromConfiguration(Data(#"{"frames": -1}"#.utf8)))
        XCTAssertThrowsError(try SynthParameters.fromConfiguration(Data(#"{"frames": "many"}"#.utf8)))
    }

    func testInvalidParametersThrow() {
        var p = SynthParameters()
        p.bitDepth = 12
        XCTAssertThrowsError(try p.validate())
        p = SynthParameters(); p.rgb = true
        XCTAssertThrowsError(try p.validate(), "RGB must be 8-bit")
        p = SynthParameters(); p.doublingTimeMax = 10
        XCTAssertThrowsError(try p.validate())
        p = SynthParameters(); p.pixelSize = 0
        XCTAssertThrowsError(try p.validate())
        XCTAssertThrowsError(try SynthMovie(parameters: p))
    }
}

final class SynthRandomTests: XCTestCase {
    func testStreamsAreReproducibleAndDistinct() {
        var a = SynthRandom(seed: 1, stream: 2, index: 3), b = SynthRandom(seed: 1, stream: 2, index: 3)
        var c = SynthRandom(seed: 1, stream: 2, index: 4)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
    }

    func testMomentsOfUniformNormalAndPoisson() {
        var rng = SynthRandom(seed: 99)
        let n = 40_000
        let u = (0..<n).map { _ in rng.uniform() }
        XCTAssertEqual(u.reduce(0, +) / Double(n), 0.5, accuracy: 0.01)
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let z = (0..<n).map { _ in rng.normal() }
        let mean = z.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n), 1, accuracy: 0.03)
        for lambda in [3.0, 200.0] {
            let k = (0..<n).map { _ in rng.poisson(lambda) }
            let m = k.reduce(0, +) / Double(n)
            XCTAssertEqual(m, lambda, accuracy: 0.03 * lambda)
            XCTAssertEqual(k.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n), lambda, accuracy: 0.06 * lambda)
        }
    }
}
