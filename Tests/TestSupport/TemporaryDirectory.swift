import Foundation

/// A fresh directory under the system temp dir, for a test's own database files.
public func temporaryDatabasePath(_ name: String = "causeway") -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("causeway-tests-\(UUID().uuidString)", isDirectory: true)
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("\(name).db").path
}
