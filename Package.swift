// swift-tools-version:5.10
import PackageDescription

let package = Package(
    name: "libafme",
    products: [
        // The shipped C-ABI library. Build it with the flags in README.md to get a self-contained .so.
        .library(name: "afme", type: .dynamic, targets: ["AFMECABI"]),
        .executable(name: "afme-cli", targets: ["AFMECLI"]),
    ],
    targets: [
        // MARK: Public API
        .target(name: "AFMECore", dependencies: ["COpenBLAS"]),
        .executableTarget(name: "AFMECLI", dependencies: ["AFMECore"]),

        // The C ABI: only @_cdecl functions that validate, call the core and map errors.
        .target(name: "AFMECABI", dependencies: ["AFMECore", "CAFMEHeader"]),
        // The hand-written header, imported by the ABI target (include/module.modulemap).
        .systemLibrary(name: "CAFMEHeader", path: "include"),

        // MARK: Implementation details
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "pkg-config"])]),

        // MARK: Test bundles
        .testTarget(name: "AFMECoreTests", dependencies: ["AFMECore"]),
    ]
)
