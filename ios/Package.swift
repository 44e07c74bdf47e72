// swift-tools-version:6.0
// Modicum for iOS (and, for host tests, Linux). Tools 6.0: every target builds in the Swift 6
// language mode, so data-race safety is checked by the compiler, not by review.
//
// `Sources/Modicum/Generated/` and `Sources/modicum_ffiFFI/modicum_ffiFFI.h` are produced by
// uniffi-bindgen from the built Rust library (ios/host/test.sh, ios/build-xcframework.sh); they
// are not committed because they must match the library they are linked with byte for byte.
import Foundation
import PackageDescription

// The Rust core: the XCFramework that ios/build-xcframework.sh builds on macOS, for apps;
// otherwise a host-built libmodicum_ffi found by the linker (the Linux tests).
let xcframework = "build/ModicumFFI.xcframework"
let core: Target =
    FileManager.default.fileExists(atPath: "\(Context.packageDirectory)/\(xcframework)")
    ? .binaryTarget(name: "modicum_ffiFFI", path: xcframework)
    : .systemLibrary(name: "modicum_ffiFFI", path: "Sources/modicum_ffiFFI")

let package = Package(
    name: "Modicum",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Modicum", targets: ["Modicum"])
    ],
    targets: [
        core,
        .target(
            name: "Modicum",
            dependencies: ["modicum_ffiFFI"],
            path: "Sources/Modicum",
            // Apple requires apps to declare the required-reason APIs their SDKs use.
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
        // The sample app: a SwiftUI app on iOS; elsewhere its integration flow runs from the
        // command line (ios/host/test.sh runs it), so the sample cannot rot unnoticed.
        .executableTarget(
            name: "ModicumSample",
            dependencies: ["Modicum"],
            path: "Sample"
        ),
        // record() benchmark (ios/host/bench.sh); not a product.
        .executableTarget(
            name: "ModicumBench",
            dependencies: ["Modicum"],
            path: "Bench/ModicumBench"
        ),
        .testTarget(
            name: "ModicumTests",
            dependencies: ["Modicum"],
            path: "Tests/ModicumTests"
        ),
    ]
)
