// swift-tools-version:5.9
import PackageDescription

// One target per pipeline stage; imports run in one direction (see README "Architecture"):
// CellTrackCore ← {ImageIO, Segmentation, Tracking, Lineage} ← Store ← Pipeline ← celltrack.
// Built for the CPU that builds it (`-target-cpu native`, like C's `-march=native`): the hot
// kernels are plain loops over `Float`/`Double` that the compiler vectorises, and x86-64's
// default target allows only 2-wide SSE2 `Double` arithmetic. With AVX2 `run` needs 13 % less
// CPU on 12-MP frames, with bit-identical results (Swift never fuses a multiply and an add into
// an FMA by itself, and no reduction is reordered). A binary for other machines, whose CPU may
// lack the host's instructions: `CELLTRACK_PORTABLE=1 swift build -c release`.
let portable = (Context.environment["CELLTRACK_PORTABLE"] ?? "").isEmpty == false
let hostCPU: [SwiftSetting] = portable ? [] : [.unsafeFlags(["-target-cpu", "native"])]

let package = Package(
    name: "celltrack",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "celltrack", targets: ["celltrack"]),
        .library(name: "CellTrackCore", targets: ["CellTrackCore"]),
        .library(name: "Segmentation", targets: ["Segmentation"]),
        .library(name: "Tracking", targets: ["Tracking"]),
        .library(name: "Lineage", targets: ["Lineage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibTIFF", pkgConfig: "libtiff-4",
                       providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CellTrackCore", swiftSettings: hostCPU),
        .target(name: "ImageIO", dependencies: ["CellTrackCore", "CLibTIFF"], swiftSettings: hostCPU),
        .target(name: "Segmentation", dependencies: ["CellTrackCore"], swiftSettings: hostCPU),
        .target(name: "Tracking", dependencies: ["CellTrackCore"], swiftSettings: hostCPU),
        .target(name: "Lineage", dependencies: ["CellTrackCore"], swiftSettings: hostCPU),
        .target(name: "Store", dependencies: ["CellTrackCore", "Lineage", "CSQLite"], swiftSettings: hostCPU),
        .target(name: "Synth", dependencies: ["CellTrackCore", "ImageIO"], swiftSettings: hostCPU),
        .target(name: "Pipeline", dependencies: [
            "CellTrackCore", "ImageIO", "Segmentation", "Tracking", "Lineage", "Store",
        ], swiftSettings: hostCPU),
        .executableTarget(name: "celltrack", dependencies: [
            "Pipeline", "Store", "Synth", "ImageIO", "Segmentation", "Tracking", "Lineage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: hostCPU),
        .testTarget(name: "CellTrackCoreTests", dependencies: ["CellTrackCore"], swiftSettings: hostCPU),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], resources: [.copy("Fixtures")], swiftSettings: hostCPU),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation"], resources: [.copy("Fixtures")], swiftSettings: hostCPU),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking", "Lineage"], swiftSettings: hostCPU),
        .testTarget(name: "LineageTests", dependencies: ["Lineage"], swiftSettings: hostCPU),
        .testTarget(name: "StoreTests", dependencies: ["Store"], swiftSettings: hostCPU),
        .testTarget(name: "SynthTests", dependencies: ["Synth"], swiftSettings: hostCPU),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"], swiftSettings: hostCPU),
        .testTarget(name: "CLITests", dependencies: ["celltrack", "Store"], swiftSettings: hostCPU),
    ]
)
