// swift-tools-version:5.9
import PackageDescription

// One target per pipeline stage; imports run in one direction (see README "Architecture"):
// CellTrackCore ← {ImageIO, Segmentation, Tracking, Lineage} ← Store ← Pipeline ← celltrack.
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
        .target(name: "CellTrackCore"),
        .target(name: "ImageIO", dependencies: ["CellTrackCore", "CLibTIFF"]),
        .target(name: "Segmentation", dependencies: ["CellTrackCore"]),
        .target(name: "Tracking", dependencies: ["CellTrackCore"]),
        .target(name: "Lineage", dependencies: ["CellTrackCore"]),
        .target(name: "Store", dependencies: ["CellTrackCore", "Lineage", "CSQLite"]),
        .target(name: "Synth", dependencies: ["CellTrackCore", "ImageIO"]),
        .target(name: "Pipeline", dependencies: [
            "CellTrackCore", "ImageIO", "Segmentation", "Tracking", "Lineage", "Store",
        ]),
        .executableTarget(name: "celltrack", dependencies: [
            "Pipeline", "Store", "Synth", "ImageIO", "Segmentation", "Tracking", "Lineage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "CellTrackCoreTests", dependencies: ["CellTrackCore"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrackingTests", dependencies: ["Tracking", "Lineage"]),
        .testTarget(name: "LineageTests", dependencies: ["Lineage"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "CLITests", dependencies: ["celltrack", "Store"]),
    ]
)
